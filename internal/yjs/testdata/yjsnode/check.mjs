// Replays recorded sessions with real yjs and compares every checkpoint.
// Usage: node check.mjs <scenarios.bin.gz>
import { readScenarios, replay, eqBytes } from './common.mjs'

const [path] = process.argv.slice(2)
const scenarios = readScenarios(path)
let bad = 0
let cps = 0
for (const s of scenarios) {
  const got = replay(s, 4200000000)
  for (let i = 0; i < s.checkpoints.length; i++) {
    const w = s.checkpoints[i]
    const g = got[i]
    cps++
    const what = []
    if (g.json !== w.json) what.push(`json\n  yjs ${g.json}\n  go  ${w.json}`)
    if (!eqBytes(g.sv, w.sv)) what.push('state vector')
    if (!eqBytes(g.state, w.state)) what.push(`encoded state\n  yjs ${Buffer.from(g.state).toString('hex')}\n  go  ${Buffer.from(w.state).toString('hex')}`)
    if (what.length > 0) {
      bad++
      if (bad <= 5) console.log(`${s.name} at delivery ${w.pos}: ${what.join('; ')}`)
    }
  }
}
console.log(`${scenarios.length} scenarios, ${cps} checkpoints, ${bad} mismatches`)
process.exit(bad === 0 ? 0 : 1)
