// Package lib0 implements the binary encoding primitives of the JavaScript
// lib0 library (varUint, varInt, varString, Any, the RLE column coders of
// the Yjs v2 format) and JSON text with JavaScript's JSON.stringify /
// JSON.parse semantics, so that Go can produce and read byte-identical data.
//
// Values of type Any are represented as:
//
//	nil        null
//	Undefined  undefined
//	bool       boolean
//	float64    number (lib0 decides int/float32/float64 from the value)
//	string     string
//	*Object    object (keys kept in JavaScript property order)
//	[]any      array
//	[]byte     Uint8Array
//	BigInt     bigint
//
// Decoders never panic on hostile input and never allocate more than the
// input can justify: every length prefix is checked against the bytes left.
package lib0
