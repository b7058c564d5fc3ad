// Upstream CivicPress record-file rules (core/src/records/record-parser.ts
// as described in shared/upstream/core.md §2.4–2.5), re-expressed for the
// golden-file harness with the same libraries upstream uses: `yaml` 2.9.1 to
// write, gray-matter 4.0.3 (js-yaml 3.15.2) to read.
//
// serialize(record, {goRules}) — goRules=false: upstream's bytes;
// goRules=true: what internal/recordfile deliberately writes instead (no
// blank-line filtering / trimming of the library's output, and quoting of
// strings js-yaml would otherwise read back as something else).
import { stringify, Document, visit, isScalar, isPair, Scalar } from 'yaml';
import matter from 'gray-matter';
import jsyaml from 'js-yaml';

const CLASSIFICATION = ['tags', 'module', 'slug', 'version', 'priority', 'department'];
const TYPE_SPECIFIC = ['category', 'session_type', 'date', 'duration', 'location', 'attendees', 'topics', 'media'];
const SECTIONS = [
  ['id', 'title', 'type', 'status'],
  ['author', 'authors'],
  ['created', 'updated'],
  ['tags', 'module', 'slug', 'version', 'priority', 'department'],
  ['source'],
  ['commit_ref', 'commit_signature'],
  ['geography_data', 'category', 'session_type', 'date', 'duration', 'location', 'attendees', 'topics', 'media'],
  ['linked_records', 'linked_geography_files'],
  ['attached_files'],
];

// ---- writing -------------------------------------------------------------

export function buildFrontmatter(record, { extensionFields = [], goRules = false } = {}) {
  const fm = { id: record.id, title: record.title, type: record.type, status: record.status, author: record.author };
  if (record.authors && record.authors.length > 0) fm.authors = record.authors;
  const created = record.created_at || new Date().toISOString();
  const updated = record.updated_at || new Date().toISOString();
  fm.created = typeof created === 'string' ? created : new Date(created).toISOString();
  fm.updated = typeof updated === 'string' ? updated : new Date(updated).toISOString();
  if (record.source) {
    const source = { ...record.source };
    if (source.imported_at !== undefined && source.imported_at !== null && typeof source.imported_at !== 'string') {
      source.imported_at = new Date(source.imported_at).toISOString();
    }
    fm.source = source;
  }
  if (record.commit_ref) fm.commit_ref = record.commit_ref;
  if (record.commit_signature) fm.commit_signature = record.commit_signature;
  // Upstream tests truthiness; Go keeps 0 and false (a real duration: 0).
  const has = (v) => (goRules ? v !== undefined && v !== null && v !== '' : !!v);
  const md = record.metadata || {};
  for (const k of [...CLASSIFICATION, ...TYPE_SPECIFIC]) {
    let v = md[k];
    if (!has(v)) continue;
    if (k === 'tags' && !Array.isArray(v)) v = [v];
    if (k === 'date' && typeof v !== 'string') v = new Date(v).toISOString();
    fm[k] = v;
  }
  if (record.geography) fm.geography_data = record.geography;
  if (record.linkedRecords && record.linkedRecords.length > 0) fm.linked_records = record.linkedRecords;
  if (record.linkedGeographyFiles && record.linkedGeographyFiles.length > 0) fm.linked_geography_files = record.linkedGeographyFiles;
  if (record.attachedFiles && record.attachedFiles.length > 0) fm.attached_files = record.attachedFiles;
  const top = new Set([...CLASSIFICATION, ...TYPE_SPECIFIC]);
  const nested = {};
  for (const [k, v] of Object.entries(md)) {
    if (top.has(k)) continue;
    if (extensionFields.includes(k)) fm[k] = v;
    else nested[k] = v;
  }
  if (Object.keys(nested).length > 0) fm.metadata = { ...(fm.metadata || {}), ...nested };
  return fm;
}

// js-yaml's reading of a plain scalar, with its own resolvers.
function plainResolution(s) {
  for (const type of jsyaml.DEFAULT_SAFE_SCHEMA.compiledImplicit) {
    if (type.resolve(s)) return { tag: type.tag, value: type.construct(s) };
  }
  return { tag: 'tag:yaml.org,2002:str', value: s };
}

function misread(s, isKey) {
  const { tag, value } = plainResolution(s);
  if (tag === 'tag:yaml.org,2002:merge') return isKey;
  if (typeof value === 'string') return false;
  if (value instanceof Date) return isKey || value.toISOString() !== s;
  if (isKey) return String(value) !== s;
  return true;
}

// whitespace-only multi-line strings whose first non-empty line starts with
// a space lose those spaces in the library's block output (" \n" → "\n")
function blankBlockLosesSpaces(s) {
  return /^[ \t\n]*$/.test(s) && s.includes('\n') && s.replace(/^\n*/, '')[0] === ' ';
}

function needsQuotes(s, isKey) {
  return misread(s, isKey) || (!isKey && blankBlockLosesSpaces(s));
}

function yamlPair(key, value, goRules) {
  const opts = { indent: 2, lineWidth: 0 };
  if (!goRules) return stringify({ [key]: value }, opts);
  const doc = new Document({ [key]: value });
  visit(doc, {
    Pair(_, pair) {
      for (const [node, isKey] of [[pair.key, true], [pair.value, false]]) {
        if (isScalar(node) && typeof node.value === 'string' && needsQuotes(node.value, isKey)) {
          // quote as the library's quotedString would choose
          const hasDouble = node.value.includes('"');
          const hasSingle = node.value.includes("'");
          node.type = hasDouble && !hasSingle ? Scalar.QUOTE_SINGLE : Scalar.QUOTE_DOUBLE;
        }
      }
    },
    Seq(_, seq) {
      for (const node of seq.items) {
        if (isScalar(node) && typeof node.value === 'string' && needsQuotes(node.value, false)) {
          const hasDouble = node.value.includes('"');
          const hasSingle = node.value.includes("'");
          node.type = hasDouble && !hasSingle ? Scalar.QUOTE_SINGLE : Scalar.QUOTE_DOUBLE;
        }
      }
    },
  });
  return doc.toString(opts);
}

function formatField(key, value, goRules) {
  const out = yamlPair(key, value, goRules);
  if (goRules) return out.replace(/\n$/, '');
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return `${key}: null`;
  if (lines.length === 1) {
    const i = lines[0].indexOf(':');
    return i > 0 ? `${key}: ${lines[0].substring(i + 1).trim()}` : `${key}: ${lines[0]}`;
  }
  return lines
    .map((l, idx) => {
      if (idx > 0) return l;
      const i = l.indexOf(':');
      return i > 0 ? `${key}:${l.substring(i + 1)}` : `${key}: ${l}`;
    })
    .join('\n');
}

export function orderedYaml(fm, goRules) {
  const lines = [];
  const done = new Set();
  let first = true;
  for (const fields of SECTIONS) {
    const sec = [];
    for (const f of fields) {
      if (fm[f] !== undefined && fm[f] !== null) {
        done.add(f);
        sec.push(formatField(f, fm[f], goRules));
      }
    }
    if (sec.length > 0) {
      if (!first && lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
      lines.push(...sec, '');
      first = false;
    }
  }
  const rest = Object.keys(fm).filter((k) => !done.has(k) && fm[k] !== undefined);
  if (rest.length > 0) {
    if (!first && lines.length > 0 && lines[lines.length - 1] !== '') lines.push('');
    for (const k of rest) lines.push(formatField(k, fm[k], goRules));
  }
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines.join('\n') + '\n';
}

export function serialize(record, { extensionFields = [], goRules = false } = {}) {
  const fm = buildFrontmatter(record, { extensionFields, goRules });
  // Go keeps the body's original trailing whitespace while the body is unchanged
  const tail = goRules && record._tail ? record._tail : '';
  return `---\n${orderedYaml(fm, goRules)}\n---\n\n${record.content || ''}${tail}`;
}

// ---- reading -------------------------------------------------------------

function normalizeDates(v) {
  if (v === null || v === undefined) return v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(normalizeDates);
  if (typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = normalizeDates(x);
    return out;
  }
  return v;
}

function normalizeFormat(frontmatter) {
  const n = { ...frontmatter };
  if (!n.author) {
    if (n.authors && Array.isArray(n.authors)) {
      const a = n.authors[0];
      if (typeof a === 'string') n.author = a;
      else if (a?.username) n.author = a.username;
      else if (a?.name) n.author = a.name.toLowerCase().replace(/\s+/g, '.');
    }
    if (!n.author) n.author = 'unknown';
  }
  if (!n.created && n.created_at) n.created = n.created_at;
  if (!n.updated && n.updated_at) n.updated = n.updated_at;
  if (n.created instanceof Date) n.created = n.created.toISOString();
  if (n.updated instanceof Date) n.updated = n.updated.toISOString();
  if (n.linkedRecords && !n.linked_records) n.linked_records = n.linkedRecords;
  if (n.linkedGeographyFiles && !n.linked_geography_files) n.linked_geography_files = n.linkedGeographyFiles;
  if (n.attachedFiles && !n.attached_files) n.attached_files = n.attachedFiles;
  if (n.geography && !n.geography_data) n.geography_data = n.geography;
  // write-path rule (file-ops, sagas): a string source is {reference}
  if (typeof n.source === 'string') n.source = { reference: n.source };
  return normalizeDates(n);
}

// Go reads -0 as 0: yaml writes -0 as "-0", which js-yaml reads as 0 anyway.
function zeroSign(v) {
  if (Object.is(v, -0)) return 0;
  if (Array.isArray(v)) return v.map(zeroSign);
  if (v && typeof v === 'object') {
    const out = {};
    for (const [k, x] of Object.entries(v)) out[k] = zeroSign(x);
    return out;
  }
  return v;
}

const RESERVED = new Set(['id', 'title', 'type', 'status', 'author', 'authors', 'created', 'updated', 'source',
  'commit_ref', 'commit_signature', 'geography_data', 'linked_records', 'linkedRecords', 'linked_geography_files',
  'linkedGeographyFiles', 'attached_files', 'attachedFiles', ...CLASSIFICATION, ...TYPE_SPECIFIC, 'metadata']);

// parse returns upstream's RecordData (before schema validation, which the
// Go tests cover separately). goRules keeps 0/false classification values.
export function parse(text, { goRules = false } = {}) {
  const { data, content } = matter(text, { engines: { js: refuse, javascript: refuse } });
  if (!data || typeof data !== 'object') throw new Error('Invalid or missing frontmatter');
  const n = goRules ? zeroSign(normalizeFormat(data)) : normalizeFormat(data);
  const has = (v) => (goRules ? v !== undefined && v !== null && v !== '' : !!v);
  const metadata = {};
  for (const k of [...CLASSIFICATION, ...TYPE_SPECIFIC]) if (has(n[k])) metadata[k] = n[k];
  if (n.metadata && typeof n.metadata === 'object' && !Array.isArray(n.metadata)) Object.assign(metadata, n.metadata);
  for (const [k, v] of Object.entries(n)) if (!RESERVED.has(k)) metadata[k] = v;
  const body = content?.trim() || '';
  const tail = goRules && body ? content.slice(content.lastIndexOf(body) + body.length) : '';
  const rec = {
    id: n.id, title: n.title, type: n.type, status: n.status,
    content: content?.trim() || '',
    author: n.author, authors: n.authors,
    created_at: n.created, updated_at: n.updated,
    source: n.source, commit_ref: n.commit_ref, commit_signature: n.commit_signature,
    geography: n.geography_data ? { ...n.geography_data } : undefined,
    linkedRecords: n.linked_records || n.linkedRecords,
    linkedGeographyFiles: n.linked_geography_files || n.linkedGeographyFiles,
    attachedFiles: n.attached_files || n.attachedFiles,
    metadata,
  };
  if (tail) Object.defineProperty(rec, '_tail', { value: tail, enumerable: false });
  return rec;
}

function refuse() {
  throw new Error('Front matter declared as JavaScript is not accepted');
}

// ---- JSON with the numbers JSON cannot carry --------------------------------

export function toJSON(v) {
  return JSON.stringify(v, (_, x) => {
    if (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0))) {
      return { $num: Object.is(x, -0) ? '-0' : String(x) };
    }
    return x;
  }, 2);
}

export function fromJSON(s) {
  return JSON.parse(s, (_, x) => (x && typeof x === 'object' && '$num' in x ? Number(x.$num) : x));
}
