// Package e2e holds the end-to-end tests of the running modes: they build
// the example binaries once, run them as child processes on temporary
// projects (SQLite, and PostgreSQL when CIVIC_TEST_POSTGRES_URL is set, each
// test on a database of its own) and check, over real HTTP and WebSocket
// connections, what a deployment depends on: tokens shared between an API
// process and a realtime process, revocation crossing processes, realtime
// write-backs seen by the API, publishes announced to open rooms, snapshot
// requests crossing processes, concurrent publishes from several API
// processes on one data directory, and realtime nodes sharing rooms and
// surviving the loss of one of them.
//
// The package has no non-test code besides this comment.
package e2e
