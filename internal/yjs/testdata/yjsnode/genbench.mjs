// Generates the benchmark inputs: a 100,000-operation editing trace (one
// update per operation, two clients typing into ProseMirror-like paragraphs)
// and a ~1 MB update. Usage: node genbench.mjs ../bench
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import { gzipSync } from 'node:zlib'
import { writeFileSync } from 'node:fs'
import { prng } from './common.mjs'

const dir = process.argv[2] || '../bench'
const r = prng(2024)
const WORDS = 'the council shall adopt a bylaw on budget minutes policy record draft review public notice meeting agenda motion carried amended section clause'.split(' ')

const writeUpdates = (path, updates) => {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, updates.length)
  for (const u of updates) encoding.writeVarUint8Array(e, u)
  writeFileSync(path, gzipSync(encoding.toUint8Array(e), { level: 9 }))
}

// --- trace ---
const a = new Y.Doc(); a.clientID = 101
const b = new Y.Doc(); b.clientID = 202
const trace = []
a.on('update', (u, origin) => { if (origin !== 'sync') { trace.push(u); Y.applyUpdate(b, u, 'sync') } })
b.on('update', (u, origin) => { if (origin !== 'sync') { trace.push(u); Y.applyUpdate(a, u, 'sync') } })
const cursors = new Map() // doc -> {text, pos}
const newParagraph = (doc) => {
  const frag = doc.getXmlFragment('default')
  const p = new Y.XmlElement('paragraph')
  const t = new Y.XmlText()
  p.insert(0, [t])
  frag.insert(r.int(0, frag.length), [p])
  cursors.set(doc, { text: t, pos: 0 })
}
newParagraph(a)
newParagraph(b)
while (trace.length < 100000) {
  const doc = r.bool(0.8) ? a : b
  const c = cursors.get(doc)
  const k = r.next()
  if (c.text._item.deleted) { newParagraph(doc); continue }
  if (k < 0.80) {
    const w = r.pick(WORDS) + ' '
    for (const ch of w) { c.text.insert(c.pos, ch); c.pos++ ; if (trace.length >= 100000) break }
  } else if (k < 0.90 && c.pos > 0) {
    c.text.delete(c.pos - 1, 1); c.pos--
  } else if (k < 0.95 && c.text.length > 4) {
    const i = r.int(0, c.text.length - 4)
    c.text.format(i, r.int(1, 4), { strong: r.bool() ? {} : null })
  } else if (k < 0.99) {
    newParagraph(doc)
  } else if (c.text.length > 0) {
    c.pos = r.int(0, c.text.length)
  }
}
trace.length = 100000
writeUpdates(dir + '/trace.bin.gz', trace)

// --- ~1 MB update: 8 clients, formatted paragraphs ---
const docs = []
for (let i = 0; i < 8; i++) { const d = new Y.Doc(); d.clientID = 1000 + i; docs.push(d) }
const big = new Y.Doc(); big.clientID = 999
while (true) {
  for (const d of docs) {
    const frag = d.getXmlFragment('default')
    const p = new Y.XmlElement(r.pick(['paragraph', 'heading']))
    if (r.bool(0.3)) p.setAttribute('level', r.int(1, 3))
    const t = new Y.XmlText()
    const delta = []
    for (let i = r.int(2, 8); i > 0; i--) {
      let s = ''
      for (let j = r.int(3, 12); j > 0; j--) s += r.pick(WORDS) + ' '
      delta.push(r.bool(0.3) ? { insert: s, attributes: { strong: {} } } : { insert: s })
    }
    t.applyDelta(delta)
    p.insert(0, [t])
    frag.insert(r.int(0, frag.length), [p])
    if (r.bool(0.2) && frag.length > 2) frag.delete(r.int(0, frag.length - 1), 1)
    Y.applyUpdate(big, Y.encodeStateAsUpdate(d))
  }
  for (const d of docs) Y.applyUpdate(d, Y.encodeStateAsUpdate(big))
  if (Y.encodeStateAsUpdate(big).length >= 1024 * 1024) break
}
const bigUpdate = Y.encodeStateAsUpdate(big)
writeUpdates(dir + '/big.bin.gz', [bigUpdate])
console.log(`trace: ${trace.length} updates; big update: ${bigUpdate.length} bytes`)
