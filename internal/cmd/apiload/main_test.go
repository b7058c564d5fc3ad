package main

import "testing"

// wrk 4.1 --latency output, as Debian's package prints it.
const wrkOut = `Running 5s test @ http://127.0.0.1:3900/api/v1/health
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.35ms    2.01ms  26.32ms   93.10%
    Req/Sec     8.79k     1.02k   10.51k    71.00%
  Latency Distribution
     50%    1.12ms
     75%    1.40ms
     90%    2.05ms
     99%    9.35ms
  87462 requests in 5.00s, 31.12MB read
  Non-2xx or 3xx responses: 12
Requests/sec:  17458.74
Transfer/sec:      6.22MB
`

func TestSummarize(t *testing.T) {
	got := summarize(wrkOut)
	want := "  17458.74 req/s  p50 1.12ms  p99 9.35ms  NON-2XX 12"
	if got != want {
		t.Fatalf("summarize:\n got %q\nwant %q", got, want)
	}
}
