// A real OpenID Connect provider for the tests: the certified `oidc-provider` package (npm,
// devDependency) on 127.0.0.1, with a small log-in form of its own instead of the package's
// development interactions, so that a wrong password is refused and "Tolak" denies access.
//
//   node tests/oidc/provider.mjs <port> <config.json>
//
// config.json: {"issuer": "http://127.0.0.1:<port>", "clients": [{client_id, client_secret,
// redirect_uris, post_logout_redirect_uris}], "accounts": {"<login>": {"password": "…",
// "claims": {"sub": "…", "preferred_username": "…", "name": "…", "email": "…",
// "groups": ["…"]}}}}. Accounts are read again on every use: a test changes someone's
// groups or name by rewriting the file. Prints "ready <issuer>" once it listens.

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
const readConfig = () => JSON.parse(readFileSync(configPath, 'utf8'));
const config = readConfig();

const accountByLogin = (login) => readConfig().accounts[login];
const accountBySub = (sub) => Object.values(readConfig().accounts).find((a) => a.claims.sub === sub);

const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key-1', use: 'sig', alg: 'RS256' };

const provider = new Provider(config.issuer, {
  clients: config.clients.map((client) => ({
    response_types: ['code'],
    grant_types: ['authorization_code'],
    token_endpoint_auth_method: client.client_secret ? 'client_secret_basic' : 'none',
    ...client,
  })),
  jwks: { keys: [signingKey] },
  cookies: { keys: [randomBytes(32).toString('hex')] },
  // PKCE for every client, confidential ones too (S256 is the only method the package allows).
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    // groups as Keycloak's Group Membership mapper gives them; realm_access as its realm roles.
    profile: ['name', 'given_name', 'family_name', 'preferred_username', 'groups', 'realm_access'],
    email: ['email', 'email_verified'],
  },
  // The claims of the granted scopes in the ID token itself, as Keycloak and Azure AD do.
  conformIdTokenClaims: false,
  features: {
    devInteractions: { enabled: false },
    rpInitiatedLogout: { enabled: true },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  async findAccount(ctx, sub) {
    const account = accountBySub(sub);
    if (!account) return undefined;
    return { accountId: sub, claims: async () => ({ ...accountBySub(sub).claims, sub }) };
  },
  renderError(ctx, out) {
    ctx.type = 'html';
    ctx.body = `<h1>Galat</h1><pre>${escape(JSON.stringify(out))}</pre>`;
  },
});
provider.proxy = false;

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(res, status, body) {
  res.statusCode = status;
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.end(`<!doctype html><html lang="id"><head><meta charset="utf-8"><title>SSO Kantor</title></head>
<body><main><h1>SSO Kantor (penyedia uji)</h1>${body}</main></body></html>`);
}

function loginForm(uid, error = '') {
  return `${error ? `<p class="error" role="alert">${escape(error)}</p>` : ''}
<form method="post" action="/interaction/${uid}">
  <label>Nama akun <input id="login" name="login" autocomplete="username" autofocus></label>
  <label>Kata sandi <input id="password" name="password" type="password"></label>
  <button type="submit" name="action" value="login" id="submit">Masuk</button>
  <button type="submit" name="action" value="deny" id="deny">Tolak</button>
</form>`;
}

async function body(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

async function interaction(req, res, uid) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) return page(res, 400, '<p>Interaksi tidak cocok.</p>');
  if (req.method === 'GET') return page(res, 200, loginForm(uid));
  const form = await body(req);
  if (form.get('action') === 'deny') {
    return provider.interactionFinished(req, res, {
      error: 'access_denied', error_description: 'Pengguna menolak',
    }, { mergeWithLastSubmission: false });
  }
  const account = accountByLogin(form.get('login') || '');
  if (!account || account.password !== form.get('password')) {
    return page(res, 200, loginForm(uid, 'Nama akun atau kata sandi salah.'));
  }
  // sopflow is the office's own application: log-in and consent are one step.
  const accountId = account.claims.sub;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId: details.params.client_id });
  grant.addOIDCScope(details.params.scope);
  const grantId = await grant.save();
  return provider.interactionFinished(req, res, {
    login: { accountId }, consent: { grantId },
  }, { mergeWithLastSubmission: false });
}

const handle = provider.callback();
const server = createServer((req, res) => {
  const match = /^\/interaction\/([^/?]+)/.exec(req.url);
  if (!match) return handle(req, res);
  return interaction(req, res, match[1]).catch((err) => {
    page(res, 400, `<p>${escape(err.message)}</p>`);
  });
});
server.listen(Number(port), '127.0.0.1', () => {
  process.stdout.write(`ready ${config.issuer}\n`);
});
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
