// Regenerates the golden files from cases/*.json with the real libraries.
//   node gen.mjs              write ../golden/*.json
//   node gen.mjs --check      exit 1 if the committed goldens differ
//   node gen.mjs --parse      JSON array of texts on stdin → parse results (Go rules)
//   node gen.mjs --serialize  JSON array of records on stdin → texts (Go rules)
process.env.TZ = 'UTC'; // String(Date) keys, as on a UTC server
import { readFileSync, writeFileSync } from 'node:fs';
import { serialize, parse, toJSON, fromJSON } from './upstream.mjs';

const here = new URL('.', import.meta.url);
const goldenDir = new URL('../golden/', here);

function tryParse(text, opts) {
  try {
    return { record: parse(text, opts) };
  } catch (e) {
    return { error: String(e.message || e).split('\n')[0] };
  }
}

function reply(text) {
  // exit only once the pipe has taken everything
  process.stdout.write(text, () => process.exit(0));
}

function generate(check) {
  const serializeCases = fromJSON(readFileSync(new URL('cases/serialize.json', here), 'utf8'));
  const serializeOut = serializeCases.map((c) => {
    const opts = { extensionFields: c.extensionFields || [] };
    const upstream = serialize(c.record, opts);
    const go = serialize(c.record, { ...opts, goRules: true });
    return {
      name: c.name,
      record: c.record,
      extensionFields: c.extensionFields,
      upstream,
      go,
      // what upstream reads back from each text
      upstreamReadsUpstream: tryParse(upstream).record ?? null,
      upstreamReadsGo: tryParse(go, { goRules: true }).record ?? null,
    };
  });

  const parseCases = JSON.parse(readFileSync(new URL('cases/parse.json', here), 'utf8'));
  const parseOut = parseCases.map((c) => {
    const out = { name: c.name, text: c.text, expect: c.expect, why: c.why, ...tryParse(c.text, { goRules: true }) };
    if (out.record && !c.expect) {
      // opening a file and saving it again
      out.resavedUpstream = serialize(tryParse(c.text).record);
      out.resavedGo = serialize(out.record, { goRules: true });
    }
    return out;
  });

  const files = {
    'serialize.json': toJSON(serializeOut) + '\n',
    'parse.json': toJSON(parseOut) + '\n',
  };
  let stale = false;
  for (const [name, text] of Object.entries(files)) {
    const url = new URL(name, goldenDir);
    if (check) {
      let old = '';
      try { old = readFileSync(url, 'utf8'); } catch {}
      if (old !== text) { console.error(`golden/${name} is stale`); stale = true; }
    } else {
      writeFileSync(url, text);
    }
  }
  return stale ? 1 : 0;
}

if (process.argv.includes('--parse')) {
  const texts = JSON.parse(readFileSync(0, 'utf8'));
  reply(toJSON(texts.map((t) => tryParse(t, { goRules: true }))));
} else if (process.argv.includes('--serialize')) {
  const records = fromJSON(readFileSync(0, 'utf8'));
  reply(JSON.stringify(records.map((r) => serialize(r, { goRules: true }))));
} else {
  process.exitCode = generate(process.argv.includes('--check'));
}
