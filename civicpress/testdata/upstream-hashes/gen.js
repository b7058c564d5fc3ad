// Writes upstream-style password hashes: bcrypt, cost 12, "$2b$" prefix, as
// upstream CivicPress stores them in users.password_hash.
// Run: npm ci && npm run generate
const bcrypt = require('bcryptjs');
const passwords = ['Admin!2345', 'Clerk#Pass9', 'Ünïcødé$Pa55'];
const out = passwords.map((password) => ({ password, hash: bcrypt.hashSync(password, 12) }));
process.stdout.write(JSON.stringify(out, null, 2) + '\n');
