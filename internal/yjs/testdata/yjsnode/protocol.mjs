// Records y-protocols sync and awareness messages made by the real
// libraries, for the Go tests in internal/yjs/yproto. Usage:
//   node protocol.mjs ../protocol/vectors.json
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as sync from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import { writeFileSync } from 'node:fs'

const hex = (u) => Buffer.from(u).toString('hex')
const out = { sync: {}, awareness: [] }

// --- sync ---
const a = new Y.Doc(); a.clientID = 7
const b = new Y.Doc(); b.clientID = 9
const ups = []
a.on('update', u => ups.push(u))
a.getText('t').insert(0, 'hello world', { bold: true })
a.getMap('m').set('k', { x: [1, 2.5, 'y'] })
b.on('update', u => Y.applyUpdate(a, u))
b.getText('t').insert(0, 'B says ')
a.getText('t').delete(2, 3)
a.getXmlFragment('default').insert(0, [new Y.XmlElement('paragraph')])
const partial = new Y.Doc()
Y.applyUpdate(partial, ups[0])
const step1 = encoding.createEncoder(); sync.writeSyncStep1(step1, a)
const step2 = encoding.createEncoder(); sync.writeSyncStep2(step2, a, Y.encodeStateVector(partial))
const upd = encoding.createEncoder(); sync.writeUpdate(upd, ups[ups.length - 1])
out.sync = {
  docUpdate: hex(Y.encodeStateAsUpdate(a)),
  step1: hex(encoding.toUint8Array(step1)),
  peerStateVector: hex(Y.encodeStateVector(partial)),
  step2: hex(encoding.toUint8Array(step2)),
  update: hex(encoding.toUint8Array(upd)),
  updatePayload: hex(ups[ups.length - 1])
}

// --- awareness: a client (10) and a second client (11) seen by a server (99, null local state) ---
const mk = (id) => { const d = new Y.Doc(); d.clientID = id; return new awarenessProtocol.Awareness(d) }
const client = mk(10)
const other = mk(11)
const server = mk(99)
server.setLocalState(null)
const msgs = []
const step = (label, update) => {
  const ev = { change: null, update: null }
  const onC = (c) => { ev.change = c }
  const onU = (c) => { ev.update = c }
  server.on('change', onC); server.on('update', onU)
  awarenessProtocol.applyAwarenessUpdate(server, update, 'test')
  server.off('change', onC); server.off('update', onU)
  const states = {}
  server.getStates().forEach((s, id) => { states[id] = s })
  const clocks = {}
  server.meta.forEach((m, id) => { clocks[id] = m.clock })
  msgs.push({ label, update: hex(update), change: ev.change, updateEvent: ev.update, states: JSON.stringify(states), clocks })
}
client.setLocalState({ user: { name: 'Ann', color: '#f00' }, cursor: null })
const u1 = awarenessProtocol.encodeAwarenessUpdate(client, [10])
step('add', u1)
client.setLocalState({ cursor: null, user: { color: '#f00', name: 'Ann' } })
step('same state again, keys reordered', awarenessProtocol.encodeAwarenessUpdate(client, [10]))
client.setLocalStateField('cursor', { anchor: 3, head: 5 })
step('changed', awarenessProtocol.encodeAwarenessUpdate(client, [10]))
step('stale replay', u1)
other.setLocalState({ user: { name: 'Bo' } })
step('two clients', awarenessProtocol.encodeAwarenessUpdate(other, [11]))
// a relay that saw client 11 removes it without bumping the clock (disconnect)
const relay = mk(98)
awarenessProtocol.applyAwarenessUpdate(relay, awarenessProtocol.encodeAwarenessUpdate(other, [11]), 'x')
awarenessProtocol.removeAwarenessStates(relay, [11], 'close')
step('removed by relay at same clock', awarenessProtocol.encodeAwarenessUpdate(relay, [11]))
client.setLocalState(null)
step('client leaves', awarenessProtocol.encodeAwarenessUpdate(client, [10]))
out.awareness = msgs
writeFileSync(process.argv[2], JSON.stringify(out, null, 1) + '\n')
client.destroy(); other.destroy(); server.destroy(); relay.destroy()
process.exit(0)
