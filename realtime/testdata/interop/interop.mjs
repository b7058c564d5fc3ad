// Interop scenarios for the realtime hub, run by realtime's Go tests with
// real, unmodified npm yjs + y-websocket (+ ws as the WebSocket). Usage:
//   INTEROP='{"url":"ws://127.0.0.1:port/realtime/records","room":"id","tokens":{...}}' node interop.mjs <scenario>
// Each scenario prints JSON lines; the last one is the result. A line
// "READY" asks the Go side to act (e.g. log the session out).
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'

const cfg = JSON.parse(process.env.INTEROP)
const out = (v) => process.stdout.write(JSON.stringify(v) + '\n')
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))

async function until (what, cond, ms = 10000) {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting for ' + what)
    await sleep(10)
  }
}

// connect opens a stock provider on the room with a token subprotocol.
function connect (token, doc = new Y.Doc(), opts = {}) {
  const p = new WebsocketProvider(cfg.url, cfg.room, doc, {
    WebSocketPolyfill: WebSocket,
    protocols: ['auth.' + token],
    disableBc: true,
    ...opts
  })
  p.closes = []
  p.on('connection-close', (ev) => { p.closes.push(ev ? { code: ev.code, reason: String(ev.reason) } : null) })
  return p
}

const synced = (p) => until('sync', () => p.synced)

function addParagraph (doc, text) {
  const frag = doc.getXmlFragment('default')
  doc.transact(() => {
    const para = new Y.XmlElement('paragraph')
    const t = new Y.XmlText()
    t.insert(0, text)
    para.insert(0, [t])
    frag.insert(frag.length, [para])
  })
}

const fragText = (doc) => doc.getXmlFragment('default').toString()
const stateB64 = (doc) => Buffer.from(Y.encodeStateAsUpdate(doc)).toString('base64')

const scenarios = {
  // Two clients editing paragraphs converge; a late joiner gets everything.
  async converge () {
    const a = connect(cfg.tokens.editor)
    const b = connect(cfg.tokens.editor2)
    await synced(a); await synced(b)
    addParagraph(a.doc, 'Paragraph from A.')
    addParagraph(b.doc, 'Paragraph from B.')
    await until('convergence', () => fragText(a.doc) === fragText(b.doc) &&
      fragText(a.doc).includes('from A') && fragText(a.doc).includes('from B'))
    const c = connect(cfg.tokens.editor)
    await synced(c)
    await until('late joiner', () => fragText(c.doc) === fragText(a.doc))
    out({ ok: true, fragment: fragText(a.doc), state: stateB64(a.doc), closes: [...a.closes, ...b.closes, ...c.closes] })
    for (const p of [a, b, c]) p.destroy()
  },

  // Offline edits merge after reconnect.
  async offline () {
    const a = connect(cfg.tokens.editor)
    const b = connect(cfg.tokens.editor2)
    await synced(a); await synced(b)
    a.disconnect()
    await until('disconnected', () => !a.wsconnected)
    addParagraph(a.doc, 'Written offline by A.')
    addParagraph(b.doc, 'Written online by B.')
    await until('B edit on server', () => true)
    await sleep(200)
    if (fragText(b.doc).includes('offline')) throw new Error('offline edit leaked')
    a.connect()
    await synced(a)
    await until('merge', () => fragText(a.doc) === fragText(b.doc) &&
      fragText(b.doc).includes('offline by A') && fragText(a.doc).includes('online by B'))
    out({ ok: true, fragment: fragText(a.doc) })
    a.destroy(); b.destroy()
  },

  // A view-only client cannot change the document.
  async viewonly () {
    const e = connect(cfg.tokens.editor)
    const v = connect(cfg.tokens.viewer)
    await synced(e); await synced(v)
    addParagraph(v.doc, 'Viewer vandalism.')
    addParagraph(e.doc, 'Editor marker.')
    await until('editor edit reaches viewer', () => fragText(v.doc).includes('Editor marker.'))
    await sleep(500)
    const late = connect(cfg.tokens.editor)
    await synced(late)
    await sleep(200)
    out({ ok: !fragText(e.doc).includes('vandalism') && !fragText(late.doc).includes('vandalism'), editor: fragText(e.doc) })
    e.destroy(); v.destroy(); late.destroy()
  },

  // Logout through core closes the socket with 4001.
  async logout () {
    const a = connect(cfg.tokens.logout)
    await synced(a)
    out('READY')
    await until('close', () => a.closes.length > 0, 5000)
    out({ ok: true, close: a.closes[0] })
    a.destroy()
  },

  // A lone client stays connected (no reconnect) for cfg.seconds.
  async lone () {
    const a = connect(cfg.tokens.editor)
    let statuses = []
    a.on('status', (e) => statuses.push(e.status))
    await synced(a)
    statuses = []
    await sleep(cfg.seconds * 1000)
    out({ ok: a.wsconnected && a.closes.length === 0, closes: a.closes, statuses })
    a.destroy()
  },

  // A client typing 20 characters per second with cursor awareness for
  // cfg.seconds is never rate-limited, and an observer sees every character.
  async typing () {
    const t = connect(cfg.tokens.editor)
    const o = connect(cfg.tokens.editor2)
    await synced(t); await synced(o)
    addParagraph(t.doc, '')
    const text = () => {
      const p = t.doc.getXmlFragment('default')
      return p.get(p.length - 1).get(0)
    }
    const n = cfg.seconds * 20
    const start = Date.now()
    for (let i = 0; i < n; i++) {
      text().insert(i, 'x')
      t.awareness.setLocalStateField('cursor', { anchor: i + 1, head: i + 1 })
      const due = start + (i + 1) * 50
      await sleep(Math.max(0, due - Date.now()))
    }
    const last = (d) => { const f = d.getXmlFragment('default'); return f.get(f.length - 1)?.get(0)?.toString() ?? '' }
    await until('observer has every character', () => last(o.doc).length === n)
    const cursor = [...o.awareness.getStates().values()].some((s) => s.cursor && s.cursor.anchor === n)
    out({ ok: t.closes.length === 0 && cursor, closes: t.closes, chars: last(o.doc).length, cursor })
    t.destroy(); o.destroy()
  }
}

const name = process.argv[2]
try {
  await scenarios[name]()
  process.exit(0)
} catch (err) {
  out({ ok: false, error: String(err && err.stack || err) })
  process.exit(1)
}
