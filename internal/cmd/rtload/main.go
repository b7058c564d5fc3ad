// Command rtload is a load generator for the realtime hub: many y-websocket
// clients (each a Yjs document with its own client id) typing into their own
// paragraph of records' XmlFragment("default") and moving a cursor through
// awareness, measuring how long each update takes to reach the other clients
// of its room.
//
//	rtload setup -project DIR -rooms 1000 -clients 5000   # records, users, tokens, realtime.yml
//	rtload run -project DIR -rooms 500 -per-room 3 -updates 2 -awareness 2 -duration 30s -pid PID
//	rtload run ... -idle                                 # connect, sync, stay idle; report server RSS
//	rtload run ... -url ws://A/realtime,ws://B/realtime -pid PA,PB   # rooms split across nodes
//
// setup opens the project with the core (as the API would) to create draft
// records and users with sessions, writes the tokens to DIR/.system-data/
// rtload.json and raises the connection limits in realtime.yml (all load
// clients come from 127.0.0.1). Start the server after setup. With -pid,
// run samples the server's CPU time and RSS from /proc.
//
// Latencies are only as good as the machine is quiet: run also reports how
// much CPU other processes used on the server's and its own cores, how
// long their threads waited for a CPU (Linux schedstat), its own goroutine
// scheduling delay and GC pauses (receive time stamps are taken when a
// reading goroutine runs), and warns when other processes took more than
// 5% of a core meanwhile. -profile DIR
// writes the tool's own CPU and heap profiles.
//
// With several -url values (realtime nodes sharing one database) the
// clients of each room are spread over the nodes (client k of room r on
// node (r+k) mod n), and delivery latency is reported separately for
// receivers on the sender's node and on another node.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civicpress/civicpress-go/civicpress"
	"github.com/civicpress/civicpress-go/internal/yjs"
	"github.com/civicpress/civicpress-go/internal/yjs/lib0"
	"github.com/civicpress/civicpress-go/internal/yjs/yproto"
	"github.com/gorilla/websocket"
)

type plan struct {
	Records []string `json:"records"`
	Tokens  []string `json:"tokens"` // one per user; each user gets at most perUser connections
	PerUser int      `json:"perUser"`
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: rtload setup|run [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "setup":
		err = setup(os.Args[2:])
	case "run":
		err = run(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "rtload:", err)
		os.Exit(1)
	}
}

func setup(args []string) error {
	fs := flag.NewFlagSet("setup", flag.ExitOnError)
	project := fs.String("project", "", "project directory (created when missing)")
	rooms := fs.Int("rooms", 1000, "records to create")
	clients := fs.Int("clients", 5000, "connections to provide tokens for")
	fs.Parse(args)
	if *project == "" {
		return errors.New("-project is required")
	}
	ctx := context.Background()
	core, err := civicpress.Open(ctx, civicpress.Config{ProjectDir: *project})
	if err != nil {
		return err
	}
	defer core.Close()
	const perUser = 10
	p := plan{PerUser: perUser}
	typ := "bylaw"
	for i := range *rooms {
		title := fmt.Sprintf("Load record %d", i)
		body := fmt.Sprintf("# Load record %d\n\nThis paragraph was seeded for the load test.", i)
		d, err := core.Records().CreateDraft(ctx, civicpress.System, civicpress.Changes{Title: &title, Type: &typ, Body: &body})
		if err != nil {
			return err
		}
		p.Records = append(p.Records, d.ID)
	}
	for i := 0; i < (*clients+perUser-1)/perUser; i++ {
		name := fmt.Sprintf("load%d_%d", time.Now().UnixNano()%1e6, i)
		u, err := core.Users().Create(ctx, civicpress.System, civicpress.NewUser{Username: name, Role: "clerk", Email: name + "@example.org"})
		if err != nil {
			return err
		}
		s, err := core.Auth().IssueSession(ctx, u.ID)
		if err != nil {
			return err
		}
		p.Tokens = append(p.Tokens, s.Token)
	}
	b, _ := json.Marshal(p)
	sys := core.Paths().SystemDataDir
	if err := os.WriteFile(filepath.Join(sys, "rtload.json"), b, 0o600); err != nil {
		return err
	}
	yml := fmt.Sprintf("realtime:\n  rooms:\n    max_rooms: %d\n  rate_limiting:\n    connections_per_ip: %d\n    connections_per_user: %d\n",
		*rooms+10, *clients+100, perUser)
	if err := os.WriteFile(filepath.Join(sys, "realtime.yml"), []byte(yml), 0o600); err != nil {
		return err
	}
	fmt.Printf("created %d records and %d users; wrote %s and realtime.yml\n", len(p.Records), len(p.Tokens), filepath.Join(sys, "rtload.json"))
	return nil
}

// sentLog remembers when each (client, clock) was sent, for latency;
// sharded so that thousands of clients do not queue on one lock. An entry
// is dropped once every other client of the room has received it, so the
// log stays small and the tool's own garbage collection cheap.
type sentLog struct {
	receivers int // clients expected to receive each entry
	shards    [64]sentShard
}

type sentShard struct {
	mu sync.Mutex
	m  map[[2]uint64]sentAt
}

type sentAt struct {
	t    time.Time
	node int // the sender's node (index in -url)
	left int // receivers still to come
}

func (s *sentLog) put(client, clock uint64, t time.Time, node int) {
	sh := &s.shards[(client^client>>17)%64]
	sh.mu.Lock()
	if sh.m == nil {
		sh.m = map[[2]uint64]sentAt{}
	}
	sh.m[[2]uint64{client, clock}] = sentAt{t, node, s.receivers}
	sh.mu.Unlock()
}

func (s *sentLog) get(client, clock uint64) (sentAt, bool) {
	sh := &s.shards[(client^client>>17)%64]
	k := [2]uint64{client, clock}
	sh.mu.Lock()
	t, ok := sh.m[k]
	if ok {
		if t.left--; t.left <= 0 {
			delete(sh.m, k)
		} else {
			sh.m[k] = t
		}
	}
	sh.mu.Unlock()
	return t, ok
}

type recorder struct {
	mu  sync.Mutex
	lat []time.Duration
}

func (r *recorder) add(d time.Duration) {
	r.mu.Lock()
	r.lat = append(r.lat, d)
	r.mu.Unlock()
}

func (r *recorder) report(name string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lat) == 0 {
		return name + ": no samples"
	}
	slices.Sort(r.lat)
	q := func(p float64) time.Duration { return r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))] }
	return fmt.Sprintf("%s: n=%d p50=%v p90=%v p99=%v max=%v", name, len(r.lat), q(0.50).Round(10*time.Microsecond),
		q(0.90).Round(10*time.Microsecond), q(0.99).Round(10*time.Microsecond), r.lat[len(r.lat)-1].Round(10*time.Microsecond))
}

type stats struct {
	updates, awareness  recorder
	updatesX, awareX    recorder // receiver on another node than the sender
	connected, closed   atomic.Int64
	sentUpd, sentAw     atomic.Int64
	recvFrames, errorsN atomic.Int64
	measuring           atomic.Bool
}

type lclient struct {
	conn   *websocket.Conn
	wmu    sync.Mutex
	mu     sync.Mutex
	doc    *yjs.Doc
	synced atomic.Bool
	typing atomic.Bool // own paragraph made: remote updates are no longer integrated
	para   yjs.XmlText
	have   bool
	awClk  uint64
	name   string
	node   int
}

func (c *lclient) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return c.conn.WriteMessage(websocket.BinaryMessage, b)
}

func run(args []string) error {
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	project := fs.String("project", "", "project directory prepared by setup")
	url := fs.String("url", "ws://127.0.0.1:3001/realtime", "hub URL prefix (comma-separated: several nodes)")
	rooms := fs.Int("rooms", 500, "rooms to use")
	perRoom := fs.Int("per-room", 3, "clients per room")
	updates := fs.Float64("updates", 2, "document updates per second per client")
	aware := fs.Float64("awareness", 2, "awareness updates per second per client")
	duration := fs.Duration("duration", 30*time.Second, "measurement time (≤ 60 s)")
	warmup := fs.Duration("warmup", 3*time.Second, "time after all clients synced before measuring")
	idle := fs.Bool("idle", false, "connect and stay idle (memory per connection)")
	pidList := fs.String("pid", "", "server pid(s) for CPU and RSS sampling (comma-separated, as -url)")
	profile := fs.String("profile", "", "write this tool's own CPU and heap profiles to DIR/rtload-{cpu,heap}.pprof")
	fs.Parse(args)
	// The tool's own garbage collector must not be what is measured: a
	// mark phase on the tool's one core delays the reading goroutines and
	// so inflates latencies that the server did not cause. Collect rarely
	// (the heap stays in the low hundreds of MiB).
	debug.SetGCPercent(800)
	urls := strings.Split(*url, ",")
	var pids []int
	for _, s := range strings.Split(*pidList, ",") {
		if s = strings.TrimSpace(s); s != "" {
			p, err := strconv.Atoi(s)
			if err != nil {
				return fmt.Errorf("-pid: %w", err)
			}
			pids = append(pids, p)
		}
	}
	if *duration > 60*time.Second {
		return errors.New("-duration is capped at 60s")
	}
	b, err := os.ReadFile(filepath.Join(*project, ".system-data", "rtload.json"))
	if err != nil {
		return fmt.Errorf("run setup first: %w", err)
	}
	var p plan
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	n := *rooms * *perRoom
	if *rooms > len(p.Records) || n > len(p.Tokens)*p.PerUser {
		return fmt.Errorf("setup provided %d records and %d connections", len(p.Records), len(p.Tokens)*p.PerUser)
	}
	rssBase := make([]int64, len(pids))
	for i, p := range pids {
		rssBase[i] = rssKiB(p)
	}
	st := &stats{}
	sent := &sentLog{receivers: *perRoom - 1}
	clients := make([][]*lclient, *rooms)
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	var dialErr atomic.Value
	for r := range *rooms {
		clients[r] = make([]*lclient, *perRoom)
		for k := range *perRoom {
			i := r**perRoom + k
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				node := (r + k) % len(urls)
				c, err := dial(urls[node]+"/records/"+p.Records[r], p.Tokens[i/p.PerUser], node, st, sent)
				if err != nil {
					dialErr.Store(err)
					return
				}
				c.name = "u" + strconv.Itoa(i)
				clients[r][k] = c
			}()
		}
	}
	wg.Wait()
	if e, ok := dialErr.Load().(error); ok {
		return fmt.Errorf("dial: %w", e)
	}
	deadline := time.Now().Add(60 * time.Second)
	for _, rc := range clients {
		for _, c := range rc {
			for !c.synced.Load() {
				if time.Now().After(deadline) {
					return errors.New("clients did not sync within 60 s")
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
	}
	fmt.Printf("%d clients in %d rooms connected and synced in %v\n", n, *rooms, time.Since(start).Round(time.Millisecond))

	if *idle {
		if len(pids) != 1 {
			return errors.New("-idle needs one -pid")
		}
		pid := pids[0]
		time.Sleep(*warmup)
		cpu0, t0 := cpuTicks(pid), time.Now()
		time.Sleep(*duration)
		rss := rssKiB(pid)
		fmt.Printf("idle: server RSS %d KiB before, %d KiB with %d connections: %.1f KiB per connection; server CPU %.1f%% of a core while idle\n",
			rssBase[0], rss, n, float64(rss-rssBase[0])/float64(n), cpuPct(pid, cpu0, t0))
		return nil
	}

	// Each client appends its own paragraph, then types into it.
	for _, rc := range clients {
		for _, c := range rc {
			c.ownParagraph(sent)
		}
	}
	stop := make(chan struct{})
	var lwg sync.WaitGroup
	for _, rc := range clients {
		for _, c := range rc {
			lwg.Add(1)
			go func() { defer lwg.Done(); c.loop(stop, *updates, *aware, st, sent) }()
		}
	}
	time.Sleep(*warmup)
	st.measuring.Store(true)
	cpu0 := make([]int64, len(pids))
	for i, p := range pids {
		cpu0[i] = cpuTicks(p)
	}
	wait0 := make([]int64, len(pids))
	for i, p := range pids {
		wait0[i] = runWaitNanos(p)
	}
	if *profile != "" {
		f, err := os.Create(filepath.Join(*profile, "rtload-cpu.pprof"))
		if err != nil {
			return err
		}
		defer f.Close()
		pprof.StartCPUProfile(f)
	}
	sched0 := readMetrics()
	var cores []int // the CPUs the server(s) and this tool may run on
	for _, p := range append([]int{os.Getpid()}, pids...) {
		cores = append(cores, allowedCPUs(p)...)
	}
	slices.Sort(cores)
	cores = slices.Compact(cores)
	busy0 := busyTicks(cores)
	self0, selfWait0, t0 := cpuTicks(os.Getpid()), runWaitNanos(os.Getpid()), time.Now()
	time.Sleep(*duration)
	st.measuring.Store(false)
	elapsed := time.Since(t0)
	cpu := make([]float64, len(pids))
	rss := make([]int64, len(pids))
	wait := make([]float64, len(pids))
	for i, p := range pids {
		cpu[i], rss[i] = cpuPct(p, cpu0[i], t0), rssKiB(p)
		wait[i] = float64(runWaitNanos(p)-wait0[i]) / 1e6 / elapsed.Seconds()
	}
	self := cpuPct(os.Getpid(), self0, t0)
	selfWait := float64(runWaitNanos(os.Getpid())-selfWait0) / 1e6 / elapsed.Seconds()
	// What other processes ran on those CPUs: their busy time less ours.
	foreign := float64(busyTicks(cores)-busy0)/100/elapsed.Seconds()*100 - self
	for _, c := range cpu {
		foreign -= c
	}
	sched := readMetrics().since(sched0)
	if *profile != "" {
		pprof.StopCPUProfile()
		f, err := os.Create(filepath.Join(*profile, "rtload-heap.pprof"))
		if err != nil {
			return err
		}
		pprof.WriteHeapProfile(f)
		f.Close()
	}
	close(stop)
	lwg.Wait()
	fmt.Printf("%d rooms × %d clients, %.1f updates/s + %.1f awareness/s each, %v\n", *rooms, *perRoom, *updates, *aware, *duration)
	if len(urls) > 1 {
		fmt.Println(st.updates.report("update delivery, same node"))
		fmt.Println(st.updatesX.report("update delivery, cross-node"))
		fmt.Println(st.awareness.report("awareness delivery, same node"))
		fmt.Println(st.awareX.report("awareness delivery, cross-node"))
	} else {
		fmt.Println(st.updates.report("update delivery"))
		fmt.Println(st.awareness.report("awareness delivery"))
	}
	fmt.Printf("sent %d updates, %d awareness; received %d frames; closed connections %d; errors %d\n",
		st.sentUpd.Load(), st.sentAw.Load(), st.recvFrames.Load(), st.closed.Load(), st.errorsN.Load())
	for i, p := range pids {
		fmt.Printf("server %d (pid %d): CPU %.1f%% of one core, RSS %d KiB; waited %.1f ms/s for a CPU (runnable, not running)\n",
			i, p, cpu[i], rss[i], wait[i])
	}
	fmt.Printf("load generator: CPU %.1f%% of one core; waited %.1f ms/s for a CPU; goroutine scheduling delay p99 %v, max %v; GC pauses total %v\n",
		self, selfWait, sched.latP99.Round(10*time.Microsecond), sched.latMax.Round(10*time.Microsecond), sched.gcPause.Round(10*time.Microsecond))
	fmt.Printf("other processes on CPUs %v: %.1f%% of one core\n", cores, max(foreign, 0))
	if foreign > 5 {
		fmt.Println("warning: other processes used the CPUs meanwhile: latencies are disturbed, measure again")
	}
	return nil
}

// allowedCPUs returns the CPUs pid may run on (its affinity, e.g. taskset).
func allowedCPUs(pid int) []int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil
	}
	var out []int
	for _, l := range strings.Split(string(b), "\n") {
		list, ok := strings.CutPrefix(l, "Cpus_allowed_list:")
		if !ok {
			continue
		}
		for _, r := range strings.Split(strings.TrimSpace(list), ",") {
			lo, hi, _ := strings.Cut(r, "-")
			a, err := strconv.Atoi(lo)
			if err != nil {
				continue
			}
			b := a
			if hi != "" {
				b, _ = strconv.Atoi(hi)
			}
			for c := a; c <= b; c++ {
				out = append(out, c)
			}
		}
	}
	return out
}

// busyTicks is the time CPUs cores spent running anything (user, nice,
// system, irq, softirq, steal), in clock ticks, from /proc/stat.
func busyTicks(cores []int) int64 {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	var sum int64
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 9 || !strings.HasPrefix(f[0], "cpu") || f[0] == "cpu" {
			continue
		}
		n, err := strconv.Atoi(f[0][3:])
		if err != nil || !slices.Contains(cores, n) {
			continue
		}
		for _, i := range []int{1, 2, 3, 6, 7, 8} {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			sum += v
		}
	}
	return sum
}

// runWaitNanos is the time pid's threads spent runnable but waiting for a
// CPU (Linux schedstat, summed over threads alive now). Another process on
// the same core shows up here, which CPU time alone cannot reveal.
func runWaitNanos(pid int) int64 {
	if pid == 0 {
		return 0
	}
	dirs, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		return 0
	}
	var sum int64
	for _, d := range dirs {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/schedstat", pid, d.Name()))
		if err != nil {
			continue
		}
		if f := strings.Fields(string(b)); len(f) >= 2 {
			v, _ := strconv.ParseInt(f[1], 10, 64)
			sum += v
		}
	}
	return sum
}

// schedMetrics is this process's goroutine scheduling latency histogram
// and total GC pause time: how late the tool itself may have taken its
// receive time stamps.
type schedMetrics struct {
	lat     *metrics.Float64Histogram
	gcPause *metrics.Float64Histogram
}

type schedDelta struct {
	latP99, latMax, gcPause time.Duration
}

func readMetrics() schedMetrics {
	s := []metrics.Sample{{Name: "/sched/latencies:seconds"}, {Name: "/sched/pauses/total/gc:seconds"}}
	metrics.Read(s)
	return schedMetrics{lat: s[0].Value.Float64Histogram(), gcPause: s[1].Value.Float64Histogram()}
}

func (m schedMetrics) since(old schedMetrics) schedDelta {
	diff := func(a, b *metrics.Float64Histogram) []uint64 {
		d := make([]uint64, len(a.Counts))
		for i := range a.Counts {
			d[i] = a.Counts[i] - b.Counts[i]
		}
		return d
	}
	// A bucket's upper bound stands for its samples (the last one is +Inf:
	// its lower bound is used).
	bound := func(h *metrics.Float64Histogram, i int) time.Duration {
		b := h.Buckets[i+1]
		if b > 1e9 {
			b = h.Buckets[i]
		}
		return time.Duration(b * 1e9)
	}
	var out schedDelta
	lat := diff(m.lat, old.lat)
	var n uint64
	for _, c := range lat {
		n += c
	}
	var acc uint64
	for i, c := range lat {
		if c == 0 {
			continue
		}
		if acc < n*99/100 && acc+c >= n*99/100 {
			out.latP99 = bound(m.lat, i)
		}
		acc += c
		out.latMax = bound(m.lat, i)
	}
	for i, c := range diff(m.gcPause, old.gcPause) {
		out.gcPause += time.Duration(c) * bound(m.gcPause, i)
	}
	return out
}

func dial(url, token string, node int, st *stats, sent *sentLog) (*lclient, error) {
	d := websocket.Dialer{HandshakeTimeout: 20 * time.Second, ReadBufferSize: 4096, WriteBufferSize: 4096}
	conn, _, err := d.Dial(url, map[string][]string{"Authorization": {"Bearer " + token}})
	if err != nil {
		return nil, err
	}
	c := &lclient{conn: conn, doc: yjs.NewDoc(yjs.Options{}), node: node}
	st.connected.Add(1)
	if err := c.write(yproto.SyncFrame(yproto.Step1(c.doc))); err != nil {
		return nil, err
	}
	go c.read(st, sent)
	return c, nil
}

func (c *lclient) read(st *stats, sent *sentLog) {
	defer st.closed.Add(1)
	for {
		_, msg, err := c.conn.ReadMessage()
		if err != nil {
			return
		}
		now := time.Now()
		st.recvFrames.Add(1)
		f, err := yproto.DecodeFrame(msg)
		if err != nil {
			st.errorsN.Add(1)
			continue
		}
		switch f.Type {
		case yproto.FrameSync:
			if f.Sync.Type == yproto.SyncUpdate && st.measuring.Load() {
				// The hub relays the bytes it received: the payload's hash
				// identifies the update.
				if s, ok := sent.get(updateKey(f.Sync.Payload), 0); ok {
					if s.node == c.node {
						st.updates.add(now.Sub(s.t))
					} else {
						st.updatesX.add(now.Sub(s.t))
					}
				}
			}
			if f.Sync.Type == yproto.SyncUpdate && c.typing.Load() {
				// A client types only into its own paragraph, so others'
				// updates are not needed to make valid ones. Integrating
				// them cost more than the server's relaying: with every
				// client on the tool's one core, the k-th receiver of a
				// keystroke waited for k-1 integrations before it could
				// even read it, measured as delivery latency (50 clients
				// in one room: 49 integrations per keystroke).
				continue
			}
			c.mu.Lock()
			reply, _, _ := yproto.Handle(c.doc, f.Sync, "remote")
			if f.Sync.Type == yproto.SyncStep2 {
				c.synced.Store(true)
			}
			c.mu.Unlock()
			if reply != nil {
				c.write(yproto.SyncFrame(*reply))
			}
		case yproto.FrameAwareness:
			if !st.measuring.Load() {
				continue
			}
			// Client and clock only: the states are not parsed (this tool
			// must stay cheaper than the server it loads).
			d := lib0.NewDecoder(f.Awareness)
			for n := d.ReadVarUint(); n > 0 && d.Err() == nil; n-- {
				client, clock := d.ReadVarUint(), d.ReadVarUint()
				d.ReadVarStringBytes()
				if client == c.doc.ClientID() || d.Err() != nil {
					continue // our own echo
				}
				if s, ok := sent.get(client|1<<40, clock); ok {
					if s.node == c.node {
						st.awareness.add(now.Sub(s.t))
					} else {
						st.awareX.add(now.Sub(s.t))
					}
				}
			}
		}
	}
}

func (c *lclient) ownParagraph(sent *sentLog) {
	c.mu.Lock()
	frag := c.doc.XmlFragment("default")
	var t yjs.XmlText
	u, err := c.doc.Transact("local", func(tx *yjs.Txn) error {
		p := yjs.NewXmlElement("paragraph")
		t = yjs.NewXmlText()
		if err := frag.Insert(tx, frag.Len(), p); err != nil {
			return err
		}
		return p.Insert(tx, 0, t)
	})
	c.para, c.have = t, err == nil
	c.mu.Unlock()
	c.typing.Store(true)
	if u != nil {
		c.write(yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u}))
	}
}

const words = "the council shall adopt the bylaw after public notice and a second reading "

func (c *lclient) loop(stop <-chan struct{}, ups, aws float64, st *stats, sent *sentLog) {
	var nextU, nextA time.Time
	now := time.Now()
	jitter := func(rate float64) time.Duration {
		return time.Duration(float64(time.Second) / rate * (0.5 + rand.Float64()))
	}
	if ups > 0 {
		nextU = now.Add(jitter(ups))
	}
	if aws > 0 {
		nextA = now.Add(jitter(aws))
	}
	pos := 0
	for {
		next := nextU
		if next.IsZero() || (!nextA.IsZero() && nextA.Before(next)) {
			next = nextA
		}
		if next.IsZero() {
			<-stop
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Until(next)):
		}
		now := time.Now()
		if !nextU.IsZero() && !now.Before(nextU) {
			nextU = nextU.Add(jitter(ups))
			c.mu.Lock()
			ch := string(words[pos%len(words)])
			var u []byte
			if c.have {
				at := min(pos, c.para.Len())
				u, _ = c.doc.Transact("local", func(tx *yjs.Txn) error { return c.para.Insert(tx, at, ch, nil) })
			}
			c.mu.Unlock()
			pos++
			if u != nil {
				sent.put(updateKey(u), 0, time.Now(), c.node)
				if c.write(yproto.SyncFrame(yproto.SyncMessage{Type: yproto.SyncUpdate, Payload: u})) != nil {
					st.errorsN.Add(1)
				}
				st.sentUpd.Add(1)
			}
		}
		if !nextA.IsZero() && !now.Before(nextA) {
			nextA = nextA.Add(jitter(aws))
			c.awClk++
			id := c.doc.ClientID()
			state := map[string]any{
				"user":   map[string]any{"name": c.name, "color": "#30bced"},
				"cursor": map[string]any{"anchor": map[string]any{"type": nil, "tname": nil, "item": map[string]any{"client": id, "clock": pos}, "assoc": 0}, "head": map[string]any{"type": nil, "tname": nil, "item": map[string]any{"client": id, "clock": pos}, "assoc": 0}},
			}
			frame := yproto.AwarenessFrame(yproto.EncodeAwarenessUpdate([]yproto.AwarenessEntry{{Client: id, Clock: c.awClk, State: state}}))
			sent.put(id|1<<40, c.awClk, time.Now(), c.node)
			if c.write(frame) != nil {
				st.errorsN.Add(1)
			}
			st.sentAw.Add(1)
		}
	}
}

// updateKey names an update by its bytes (high bit set: apart from the
// awareness keys, which are client ids below 2^41).
func updateKey(u []byte) uint64 {
	h := fnv.New64a()
	h.Write(u)
	return h.Sum64() | 1<<63
}

// cpuTicks returns utime+stime of pid in clock ticks (0 without a pid).
func cpuTicks(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+2:])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	stt, _ := strconv.ParseInt(f[12], 10, 64)
	return ut + stt
}

// cpuPct is the CPU share of one core used by pid since (ticks0, t0);
// Linux reports ticks at 100 Hz.
func cpuPct(pid int, ticks0 int64, t0 time.Time) float64 {
	if pid == 0 {
		return 0
	}
	return float64(cpuTicks(pid)-ticks0) / 100 / time.Since(t0).Seconds() * 100
}

func rssKiB(pid int) int64 {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			v, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return v
		}
	}
	return 0
}
