//go:build windows

package gitrepo

import (
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// lockIdentOf names the file f is open on, not its content: volume, file
// index and creation time, which writes and renames leave alone.
func lockIdentOf(f *os.File) string {
	var fi windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &fi); err != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d", fi.VolumeSerialNumber, uint64(fi.FileIndexHigh)<<32|uint64(fi.FileIndexLow), fi.CreationTime.Nanoseconds())
}

// lockIdentAt is lockIdentOf for whatever file is at path now ("" if none).
func lockIdentAt(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	return lockIdentOf(f)
}
