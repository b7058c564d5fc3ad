// Differential oracle for Go tests: reads JSON lines {"md": "..."} on stdin
// and answers {"canonical": "...", "pm": {...}} per line.
import readline from 'node:readline'
import { parseMarkdownToDoc, serializeDocToMarkdown } from './schema.mjs'

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const { md } = JSON.parse(line)
  let out
  try {
    const doc = parseMarkdownToDoc(md)
    out = { canonical: serializeDocToMarkdown(doc), pm: doc.toJSON() }
  } catch (e) {
    out = { error: String(e && e.message) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
})
