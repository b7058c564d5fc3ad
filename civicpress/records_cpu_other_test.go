//go:build !unix

package civicpress

import "time"

func processCPU() time.Duration { return 0 }
