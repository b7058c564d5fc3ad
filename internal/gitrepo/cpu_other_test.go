//go:build !unix

package gitrepo

import "testing"

type cpuMeter struct{}

func startCPU() *cpuMeter           { return &cpuMeter{} }
func (*cpuMeter) pause()            {}
func (*cpuMeter) resume()           {}
func (*cpuMeter) report(*testing.B) {}
