// An upstream identity provider (FranceConnect's FI) for the federation tests: panva's
// oidc-provider, configured as an FI is for FranceConnect v2 (code flow with PKCE S256,
// client_secret_basic, RS256 ID tokens carrying the eIDAS acr, the pivot identity as
// claims, RFC 9207 iss, RP-initiated logout). Listens on 127.0.0.1 only.
//
// Configuration: a JSON file named by UPSTREAM_CONFIG:
//   {
//     "port": 4200,
//     "client": {"client_id", "client_secret", "redirect_uris", "post_logout_redirect_uris",
//                "userinfo_signed_response_alg"?},
//     "accounts": {"<login>": {"acr": "eidas2", "claims": {"given_name": ..., ...}}},
//     "publish_other_keys": false,  // true: /jwks publishes keys that did not sign anything
//     "jwks_down": false,           // true: /jwks answers 503
//     "token_response": null        // "padded": 100 kB more in it; "redirected": a 307 first
//   }
//
// Sign-in is a one-field form: GET /interaction/<uid> shows it (name="login"), POST it
// with a login of "accounts" -> the provider carries on; consent is granted at once.
// Logout: the end_session page is a form (id="op.logoutForm") to POST back with its
// hidden fields and logout=yes.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import Provider from 'oidc-provider';
import { generateKeyPair, exportJWK } from 'jose';

const config = JSON.parse(readFileSync(process.env.UPSTREAM_CONFIG, 'utf8'));
const issuer = `http://127.0.0.1:${config.port}`;

async function signingKey(kid) {
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'RS256', use: 'sig' };
}
// A new key, with a new kid, at every start: restarting the provider rotates its keys.
const signing = await signingKey(`upstream-rs256-${randomUUID()}`);
const other = await signingKey(`other-rs256-${randomUUID()}`);
const publicPart = ({ kty, n, e, kid, alg, use }) => ({ kty, n, e, kid, alg, use });

const PIVOT = ['given_name', 'family_name', 'birthdate', 'gender', 'birthplace', 'birthcountry', 'email', 'preferred_username'];
const claims = { openid: ['sub'] };
for (const name of PIVOT) claims[name] = [name];

const escape = (text) => String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title></head><body>${body}</body></html>`;

const provider = new Provider(issuer, {
  clients: [{
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
    ...config.client,
  }],
  claims,
  acrValues: ['eidas1', 'eidas2', 'eidas3'],
  findAccount: (ctx, id) => {
    const account = config.accounts[id];
    return account && { accountId: id, claims: () => ({ sub: id, ...account.claims }) };
  },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: {
      enabled: true,
      logoutSource: (ctx, form) => {
        ctx.body = page('Sign out', `${form}<button type="submit" form="op.logoutForm" name="logout" value="yes">Sign out</button>`);
      },
    },
  },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  jwks: { keys: [signing] },
  ttl: { AccessToken: 60, AuthorizationCode: 60, IdToken: 60, Session: 3600, Grant: 3600, Interaction: 600 },
  cookies: { keys: ['upstream-cookie-key-0123456789abcdef'] },
});

if (config.jwks_down) {
  // A provider whose key set cannot be fetched.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/jwks') {
      ctx.status = 503;
      ctx.body = 'down';
      return;
    }
    await next();
  });
}

if (config.publish_other_keys) {
  // A provider whose ID tokens are signed by a key its JWKS does not hold.
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/jwks') ctx.body = { keys: [publicPart(other)] };
  });
}

if (config.token_response === 'padded') {
  // A token response larger than a hub should read (RFC 6749 §5.1 allows extra members).
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.path === '/token' && ctx.status === 200) ctx.body = { ...ctx.body, padding: 'x'.repeat(100_000) };
  });
}

if (config.token_response === 'redirected') {
  // A token endpoint sending its callers on, code and credentials with them (307 keeps the
  // POST): a client that follows is served as if nothing happened.
  provider.use(async (ctx, next) => {
    if (ctx.path === '/token' && ctx.query.followed === undefined) {
      ctx.status = 307;
      ctx.redirect('/token?followed=1');
      return;
    }
    await next();
  });
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (prompt.name === 'consent') {
    const grant = new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    grant.addOIDCScope(params.scope);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
    return;
  }
  if (req.method === 'GET') {
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.end(page('Sign in', `<h1>Sign in at the upstream provider</h1><form method="post" action="/interaction/${uid}"><label>Login <input name="login"></label><button type="submit">Sign in</button></form>`));
    return;
  }
  const login = (await readForm(req)).get('login');
  const account = config.accounts[login];
  if (!account) {
    res.statusCode = 400;
    res.end(page('Unknown account', '<p>unknown account</p>'));
    return;
  }
  await provider.interactionFinished(req, res, { login: { accountId: login, acr: account.acr, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
}

const callback = provider.callback();
http.createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((error) => {
      res.statusCode = 500;
      res.end(String(error));
    });
    return;
  }
  callback(req, res);
}).listen(config.port, '127.0.0.1', () => console.log(`upstream ready ${issuer}`));
