// Records lib0 encodings and JavaScript number/JSON formatting for the Go
// tests in internal/yjs/lib0. Usage: node lib0vec.mjs ../../lib0/testdata/vectors.json
import * as encoding from 'lib0/encoding'
import { writeFileSync } from 'node:fs'
import { prng } from './common.mjs'

const hex = (f) => { const e = encoding.createEncoder(); f(e); return Buffer.from(encoding.toUint8Array(e)).toString('hex') }
const r = prng(7)
const nums = [0, -0, 1, -1, 63, 64, -63, -64, 127, 128, 8191, 8192, 2 ** 31 - 1, 2 ** 31, -(2 ** 31 - 1), -(2 ** 31), 2 ** 32, 2 ** 53 - 1, -(2 ** 53 - 1),
  0.5, -0.5, 1.5, 0.1, 1e21, 1e20, 123456789012345680000, 1e-6, 1e-7, 1.5e-7, 123e-20, 3.4028234663852886e38, 5e-324, 1.7976931348623157e308,
  NaN, Infinity, -Infinity, 100, 1234.5678, 0.000001234, 2.5e+25, 4.35, 0.3, 1 / 3, 2 / 3, 9007199254740993]
for (let i = 0; i < 300; i++) {
  const m = r.next() * 10 - 5
  nums.push(m * Math.pow(10, r.int(-30, 30)))
  nums.push(Math.round(m * 1000) / 1000)
}
const out = { varUint: [], varInt: [], numbers: [], any: [] }
for (const n of [0, 1, 127, 128, 300, 16383, 16384, 2 ** 31, 2 ** 32 + 5, 2 ** 53 - 1]) out.varUint.push({ n: String(n), hex: hex(e => encoding.writeVarUint(e, n)) })
for (const n of [0, -0, 1, -1, 63, 64, -64, -65, 8191, 8192, -8192, 2 ** 31, -(2 ** 40), 2 ** 53 - 1]) out.varInt.push({ n: Object.is(n, -0) ? '-0' : String(n), hex: hex(e => encoding.writeVarInt(e, n)) })
for (const n of nums) {
  out.numbers.push({ string: String(n), json: JSON.stringify(n), any: hex(e => encoding.writeAny(e, n)) })
}
const u8 = new Uint8Array([1, 2, 255])
const values = [null, undefined, true, false, '', 'abc', 'é😀\u2028<>&"\\\n\t\u0001\u001f', 'x'.repeat(200),
  { b: 1, 2: 2, 1: 3, '01': 4, a: { z: null, y: [1, 'two', { 3: 3 }] } }, [], [1, [2, [3, []]], undefined, null], u8, { u: undefined, v: 1 },
  123n, -5n, { big: 2n ** 40n }, [0.5, -0, 1e21, 2 ** 31]]
for (const v of values) {
  let json
  try { json = JSON.stringify(v) } catch (e) { json = null }
  out.any.push({ hex: hex(e => encoding.writeAny(e, v)), json: json === undefined ? null : json })
}
writeFileSync(process.argv[2], JSON.stringify(out, null, 1) + '\n')
