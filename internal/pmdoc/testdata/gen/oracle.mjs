// Differential oracle for Go tests: reads JSON lines on stdin and answers
// one line each: {"md": "..."} → {"canonical", "pm"}; {"doc": <PM JSON>} →
// {"canonical": serialize(doc), "again": serialize(parse(canonical))}.
import readline from 'node:readline'
import { Node } from 'prosemirror-model'
import { parseMarkdownToDoc, serializeDocToMarkdown, editorSchema } from './schema.mjs'

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const { md, doc: docJSON } = JSON.parse(line)
  let out
  try {
    if (docJSON) {
      const canonical = serializeDocToMarkdown(Node.fromJSON(editorSchema, docJSON))
      const again = serializeDocToMarkdown(parseMarkdownToDoc(canonical))
      process.stdout.write(JSON.stringify({ canonical, again }) + '\n')
      return
    }
    const doc = parseMarkdownToDoc(md)
    out = { canonical: serializeDocToMarkdown(doc), pm: doc.toJSON() }
  } catch (e) {
    out = { error: String(e && e.message) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
