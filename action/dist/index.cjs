// Built from action/main.ts by `npm run build:action`: do not edit.
"use strict";
var __create = Object.create;
var __defProp = Object.defineProperty;
var __getOwnPropDesc = Object.getOwnPropertyDescriptor;
var __getOwnPropNames = Object.getOwnPropertyNames;
var __getProtoOf = Object.getPrototypeOf;
var __hasOwnProp = Object.prototype.hasOwnProperty;
var __esm = (fn, res, err) => function __init() {
  if (err) throw err[0];
  try {
    return fn && (res = (0, fn[__getOwnPropNames(fn)[0]])(fn = 0)), res;
  } catch (e) {
    throw err = [e], e;
  }
};
var __export = (target, all) => {
  for (var name in all)
    __defProp(target, name, { get: all[name], enumerable: true });
};
var __copyProps = (to, from, except, desc) => {
  if (from && typeof from === "object" || typeof from === "function") {
    for (let key of __getOwnPropNames(from))
      if (!__hasOwnProp.call(to, key) && key !== except)
        __defProp(to, key, { get: () => from[key], enumerable: !(desc = __getOwnPropDesc(from, key)) || desc.enumerable });
  }
  return to;
};
var __toESM = (mod, isNodeMode, target) => (target = mod != null ? __create(__getProtoOf(mod)) : {}, __copyProps(
  // If the importer is in node compatibility mode or this is not an ESM
  // file that has been converted to a CommonJS file using a Babel-
  // compatible transform (i.e. "__esModule" has not been set), then set
  // "default" to the CommonJS "module.exports" for node compatibility.
  isNodeMode || !mod || !mod.__esModule ? __defProp(target, "default", { value: mod, enumerable: true }) : target,
  mod
));

// no-signing:aws-signing
var aws_signing_exports = {};
__export(aws_signing_exports, {
  fromNodeProviderChain: () => unavailable,
  signRequest: () => unavailable
});
var unavailable;
var init_aws_signing = __esm({
  "no-signing:aws-signing"() {
    unavailable = () => {
      throw new Error("the GitHub Action does not sign requests");
    };
  }
});

// cli/api/httpTransport.ts
var answerOf = (message, body) => {
  const status = message.statusCode ?? 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: message.statusMessage ?? "",
    text: async () => body,
    json: async () => JSON.parse(body)
  };
};
var nodeHttpFetch = async (input, init = {}) => {
  const url = new URL(String(input));
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`cannot fetch ${url.protocol} URLs`);
  const { request } = url.protocol === "https:" ? await Promise.resolve().then(() => __toESM(require("node:https"), 1)) : await Promise.resolve().then(() => __toESM(require("node:http"), 1));
  const { signal } = init;
  signal?.throwIfAborted();
  const headers = { ...init.headers };
  if (init.body !== void 0) headers["content-length"] = Buffer.byteLength(init.body);
  const options = { method: init.method ?? "GET", headers };
  return new Promise((resolve, reject) => {
    const outgoing = request(url, options, (message) => {
      const chunks = [];
      message.on("data", (chunk) => chunks.push(chunk));
      message.once("error", reject);
      message.once("end", () => resolve(answerOf(message, Buffer.concat(chunks).toString("utf8"))));
    });
    const abort = () => outgoing.destroy(signal?.reason);
    signal?.addEventListener("abort", abort, { once: true });
    outgoing.once("close", () => signal?.removeEventListener("abort", abort));
    outgoing.once("error", reject);
    outgoing.end(init.body);
  });
};

// functions/domain/errors.ts
var BrokerError = class extends Error {
  code;
  constructor(code, message, options) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
};
var ValidationError = class extends BrokerError {
  kind = "invalid";
};

// functions/domain/duration.ts
var UNITS = { h: 3600, m: 60, s: 1 };
var DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
var parseDuration = (text) => {
  const match = DURATION.exec(text.trim());
  if (text.trim() === "" || match === null) {
    throw new ValidationError("INVALID_DURATION", `'${text}' is not a duration; write it like 30m, 2h or 1h30m`);
  }
  const [, h, m, s] = match;
  return Number(h ?? 0) * UNITS.h + Number(m ?? 0) * UNITS.m + Number(s ?? 0) * UNITS.s;
};
var formatDuration = (seconds) => {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor(seconds % 3600 / 60);
  const s = seconds % 60;
  const text = `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
  return text === "" ? "0s" : text;
};

// functions/domain/auditChain.ts
var GENESIS_HASH = "0".repeat(64);

// functions/domain/grant.ts
var MIN_GRANT_SECONDS = 900;

// cli/errors.ts
var EXIT = {
  ok: 0,
  /** What was typed or configured is wrong: unknown flag, bad duration, no --as for the sandbox. */
  usage: 1,
  /** The broker refused the request (4xx): not found, not allowed, wrong state, invalid input. */
  refused: 2,
  /** The grant cannot give access: denied, cancelled, ended, revoked or expired. */
  grantClosed: 3,
  /** The broker could not be reached (connection refused, DNS, timeout). */
  unreachable: 4,
  /** The broker answered with a 5xx or something that is not its API. */
  brokerFailed: 5,
  /** `--wait --timeout` ran out while the grant was still pending. */
  stillPending: 6,
  /** `jit audit`: the signed chain, the kill record or the archive comparison does not hold (tampering). */
  chainBroken: 8,
  /** Anything else: a local failure (file permissions, …) or a bug; the message says which. */
  unexpected: 70,
  /** Ctrl-C while waiting. */
  interrupted: 130
};
var CliError = class extends Error {
  exitCode;
  constructor(exitCode, message, options) {
    super(message, options);
    this.exitCode = exitCode;
    this.name = new.target.name;
  }
};
var UsageError = class extends CliError {
  constructor(message) {
    super(EXIT.usage, message);
  }
};
var ApiError = class extends CliError {
  status;
  code;
  constructor(status, code, message) {
    super(exitCodeForStatus(status, code), message);
    this.status = status;
    this.code = code;
  }
};
var BrokerUnreachableError = class extends CliError {
  constructor(message, options) {
    super(EXIT.unreachable, message, options);
  }
};
var GRANT_OVER_CODES = /* @__PURE__ */ new Set(["GRANT_ENDED", "GRANT_EXPIRED", "GRANT_NOT_LIVE"]);
function exitCodeForStatus(status, code) {
  if (GRANT_OVER_CODES.has(code)) return EXIT.grantClosed;
  if (status >= 400 && status < 500) return EXIT.refused;
  return EXIT.brokerFailed;
}

// cli/sandboxToken.ts
var import_node_os = require("node:os");
var import_node_path = require("node:path");

// cli/loopbackToken.ts
var LOOPBACK_TOKEN_HEADER = "x-jit-sandbox-token";

// cli/sandboxToken.ts
var SANDBOX_TOKEN_HEADER = LOOPBACK_TOKEN_HEADER;
var SANDBOX_TOKEN_ENV = "JIT_SANDBOX_TOKEN";
var sandboxTokenFile = (env, port) => (0, import_node_path.join)(
  env.XDG_STATE_HOME || (0, import_node_path.join)(env.HOME || (0, import_node_os.homedir)(), ".local", "state"),
  "jit",
  "sandbox",
  `${Number(port) || 80}.json`
);
var tokenInFile = (text) => {
  if (text === void 0) return void 0;
  try {
    const { token } = JSON.parse(text);
    return typeof token === "string" && token !== "" ? token : void 0;
  } catch {
    return void 0;
  }
};
var findSandboxToken = (apiUrl, env, readFile) => {
  const fromEnv = env[SANDBOX_TOKEN_ENV]?.trim();
  if (fromEnv) return { value: fromEnv, from: `$${SANDBOX_TOKEN_ENV}` };
  const path = sandboxTokenFile(env, apiUrl.port);
  const value = tokenInFile(readFile(path));
  return { value, from: value === void 0 ? `$${SANDBOX_TOKEN_ENV} or ${path}` : path };
};

// cli/api/brokerClient.ts
var SANDBOX_USER_HEADER = "x-jit-user";
var REQUEST_TIMEOUT_MS = 3e4;
var buildUrl = (base, path, query = {}) => {
  const url = new URL(`${base.pathname.replace(/\/$/, "")}${path}`, base);
  for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
  return url;
};
var unreachable = ({ apiUrl, mode }, error) => {
  const failure = error;
  const why = error.name === "TimeoutError" ? `no answer within ${REQUEST_TIMEOUT_MS / 1e3}s` : failure.code ?? failure.cause?.code ?? failure.cause?.message ?? error.message;
  const advice = mode === "sandbox" ? "is the sandbox running? Start it with `npm start`, or check --api / JIT_API_URL" : "check --api / JIT_API_URL and your network";
  return new BrokerUnreachableError(`cannot reach the broker at ${apiUrl.origin} (${why}): ${advice}`, {
    cause: error
  });
};
var UNAUTHENTICATED_HINTS = {
  sigv4: " (check your AWS credentials: aws sts get-caller-identity)",
  "sandbox-user": " (pass --as <user> or set JIT_USER to a user of the sandbox)"
};
var CI_TOKEN_HINTS = {
  TOKEN_AUDIENCE_MISMATCH: " (mint the token for the audience the broker's ci.json gives its issuer: --audience or JIT_CI_AUDIENCE on GitHub, id_tokens aud on GitLab)",
  TOKEN_ISSUER_UNTRUSTED: " (the broker trusts only the issuers in its ci.json: is --api the broker for this CI platform?)"
};
var NOT_FOUND_HINT = " (see your grants with `jit list`, the ones you may approve with `jit inbox`)";
var hintFor = (status, code, authentication) => {
  if (authentication === "ci-token") return status === 401 ? CI_TOKEN_HINTS[code] ?? "" : "";
  if (status === 401) return UNAUTHENTICATED_HINTS[authentication];
  return status === 404 ? NOT_FOUND_HINT : "";
};
var sandboxTokenRefused = ({ apiUrl, sandboxToken }) => {
  const why = sandboxToken?.value === void 0 ? `no token in ${sandboxToken?.from ?? `$${SANDBOX_TOKEN_ENV}`}` : `the token from ${sandboxToken.from} is not this sandbox's; it changes at every start`;
  return `the sandbox at ${apiUrl.origin} wants its token: start it with npm start, or set ${SANDBOX_TOKEN_ENV} (${why})`;
};
var apiFailure = async (response, authentication, config) => {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text);
    if (typeof error.code === "string" && typeof error.message === "string") {
      const message = config.mode === "sandbox" && error.code.startsWith("SANDBOX_TOKEN_") ? sandboxTokenRefused(config) : `${error.message}${hintFor(response.status, error.code, authentication)}`;
      return new ApiError(response.status, error.code, `${message} [${response.status} ${error.code}]`);
    }
  } catch {
  }
  const gateway = text.slice(0, 200).replace(/\s+/g, " ").trim();
  return new ApiError(
    response.status,
    `HTTP_${response.status}`,
    `the broker answered ${response.status} ${response.statusText}: ${gateway || "(empty body)"} \u2014 is --api the broker's URL?`
  );
};
var createBrokerClient = (config, deps) => {
  return async (method, path, options = {}) => {
    const url = buildUrl(config.apiUrl, path, options.query);
    const body = options.body === void 0 ? void 0 : JSON.stringify(options.body);
    let headers = {
      accept: "application/json",
      ...body === void 0 ? {} : { "content-type": "application/json" }
    };
    const authentication = options.bearer !== void 0 ? "ci-token" : config.mode === "sandbox" ? "sandbox-user" : "sigv4";
    if (config.sandboxToken?.value !== void 0) headers[SANDBOX_TOKEN_HEADER] = config.sandboxToken.value;
    if (options.bearer !== void 0) {
      headers.authorization = `Bearer ${options.bearer}`;
    } else if (config.mode === "sandbox") {
      headers[SANDBOX_USER_HEADER] = config.user;
    } else {
      const { signRequest } = await Promise.resolve().then(() => (init_aws_signing(), aws_signing_exports));
      const signed = await signRequest(
        { method, url, headers, body },
        await deps.credentials(),
        config.region
      );
      const { host: _host, ...rest } = signed;
      headers = rest;
    }
    let response;
    try {
      response = await deps.fetch(url, {
        method,
        headers,
        ...body === void 0 ? {} : { body },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      });
    } catch (error) {
      throw unreachable(config, error);
    }
    if (!response.ok) throw await apiFailure(response, authentication, config);
    const text = await response.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new ApiError(
        response.status,
        "NOT_JSON",
        `the broker at ${config.apiUrl.origin} answered with something that is not JSON \u2014 is --api the broker's URL?`
      );
    }
  };
};

// cli/config.ts
var import_node_fs = require("node:fs");
var LOOPBACK_HOSTS = /* @__PURE__ */ new Set(["127.0.0.1", "localhost", "[::1]"]);
var readIfExists = (path) => {
  try {
    return (0, import_node_fs.readFileSync)(path, "utf8");
  } catch (error) {
    if (error.code === "ENOENT") return void 0;
    throw error;
  }
};
var parseApiUrl = (text) => {
  let url;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(
      `'${text}' is not a URL; --api wants something like https://abc123.execute-api.eu-west-1.amazonaws.com`
    );
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new UsageError(`the broker API must be https (plain http only for the loopback sandbox), got ${text}`);
  }
  return url;
};

// cli/endReport.ts
var OVER = /\bis (ENDED|REVOKED|EXPIRED|DENIED|CANCELLED) and cannot\b/;
var overAlready = (error) => {
  if (!(error instanceof ApiError) || error.status !== 409) return void 0;
  if (error.exitCode !== EXIT.grantClosed && !OVER.test(error.message)) return void 0;
  return error.message.replace(/ \[409 [A-Z_]+\]$/, "");
};

// cli/ci/githubRunner.ts
var import_node_crypto = require("node:crypto");
var import_promises = require("node:fs/promises");
var commandData = (value) => value.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
var maskCommand = (value) => `::add-mask::${commandData(value)}`;
var annotation = (level, message) => `::${level}::${commandData(message)}`;
var appendCommandFile = async (path, values) => {
  const delimiter = `ghadelimiter_${(0, import_node_crypto.randomUUID)()}`;
  const entries = values.map(([name, value]) => {
    if (!/^[A-Za-z_][A-Za-z0-9_-]*$/.test(name) || value.includes(delimiter)) {
      throw new Error(`refusing to write ${name} to a GitHub command file`);
    }
    return `${name}<<${delimiter}
${value}
${delimiter}
`;
  });
  await (0, import_promises.appendFile)(path, entries.join(""), { mode: 384 });
};
var actionInput = (env, name) => (env[`INPUT_${name.replace(/ /g, "_").toUpperCase()}`] ?? "").trim();
var githubIdToken = async (fetch, env, audience) => {
  const requestUrl = env.ACTIONS_ID_TOKEN_REQUEST_URL;
  const requestToken = env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  if (!requestUrl || !requestToken) {
    throw new UsageError(
      "no OIDC token for this job: give the job `permissions: id-token: write` (GitHub Actions); on GitLab pass --token-env NAME (an id_tokens variable); elsewhere --token-file PATH"
    );
  }
  const url = new URL(requestUrl);
  url.searchParams.set("audience", audience);
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${requestToken}`, accept: "application/json" },
    signal: AbortSignal.timeout(3e4)
  });
  const body = await response.json().catch(() => ({}));
  if (!response.ok || typeof body.value !== "string") {
    throw new UsageError(`GitHub did not issue an OIDC token (${response.status}); does the job have id-token: write?`);
  }
  return body.value;
};

// cli/ci/ciGrant.ts
var inputsOf = (pairs) => Object.fromEntries(
  pairs.map((pair) => {
    const at = pair.indexOf("=");
    if (at < 1) throw new UsageError(`an input is name=value, got '${pair}'`);
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
  })
);
var deployRequest = (typed) => {
  const seconds = typed.for === void 0 ? void 0 : parseDuration(typed.for);
  if (seconds !== void 0 && seconds < MIN_GRANT_SECONDS) {
    throw new UsageError(`${typed.for} is shorter than a deploy may be: at least ${formatDuration(MIN_GRANT_SECONDS)}`);
  }
  return {
    template: typed.template,
    ...typed.role ? { role: typed.role } : {},
    inputs: inputsOf(typed.inputs),
    ...seconds === void 0 ? {} : { durationSeconds: seconds }
  };
};
var inTermsOfFor = (error, typed) => error instanceof ApiError && error.code === "DURATION_ABOVE_MAXIMUM" && typed !== void 0 ? new ApiError(error.status, error.code, `${typed} is too long for this deploy: ${error.message}`) : error;
var ciBroker = (fetch, api, env) => {
  const apiUrl = parseApiUrl(api);
  const call = createBrokerClient(
    LOOPBACK_HOSTS.has(apiUrl.hostname) ? { apiUrl, mode: "sandbox", sandboxToken: findSandboxToken(apiUrl, env, readIfExists) } : { apiUrl, mode: "aws" },
    {
      fetch,
      credentials: () => Promise.reject(new Error("CI calls are authenticated by the job token, not signed"))
    }
  );
  const grantPath = (grantId, action) => `/ci/grants/${encodeURIComponent(grantId)}/${action}`;
  return {
    vend: (token, typed) => call("POST", "/ci/credentials", { body: deployRequest(typed), bearer: token }).catch(
      (error) => Promise.reject(inTermsOfFor(error, typed.for))
    ),
    done: async (token, grantId) => {
      try {
        return { ended: await call("POST", grantPath(grantId, "done"), { bearer: token }) };
      } catch (error) {
        const over = overAlready(error);
        if (over === void 0) throw error;
        return { alreadyOver: over };
      }
    }
  };
};
var deployEnvironment = (vend, region) => [
  ["AWS_ACCESS_KEY_ID", vend.credentials.AccessKeyId],
  ["AWS_SECRET_ACCESS_KEY", vend.credentials.SecretAccessKey],
  ["AWS_SESSION_TOKEN", vend.credentials.SessionToken],
  ["AWS_CREDENTIAL_EXPIRATION", vend.credentials.Expiration],
  ...region === void 0 ? [] : [
    ["AWS_REGION", region],
    ["AWS_DEFAULT_REGION", region]
  ],
  ["JIT_GRANT_ID", vend.grantId]
];
var deployOutputs = (vend) => [
  ["grant-id", vend.grantId],
  ["aws-account-id", vend.accountId],
  ["authenticated-arn", vend.sessionArn],
  ["aws-expiration", vend.credentials.Expiration]
];
var deliverToGithub = async (command, env, vend, region) => {
  const { AccessKeyId, SecretAccessKey, SessionToken } = vend.credentials;
  for (const secret of [AccessKeyId, SecretAccessKey, SessionToken]) command(maskCommand(secret));
  if (env.GITHUB_ENV) await appendCommandFile(env.GITHUB_ENV, deployEnvironment(vend, region));
  if (env.GITHUB_OUTPUT) await appendCommandFile(env.GITHUB_OUTPUT, deployOutputs(vend));
};

// action/main.ts
var say = (line) => process.stdout.write(`${line}
`);
var STATE = { isPost: "isPost", api: "api", audience: "audience", grantId: "grantId", expiresAt: "expiresAt" };
var EXPORTED = [
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AWS_CREDENTIAL_EXPIRATION",
  "AWS_REGION",
  "AWS_DEFAULT_REGION"
];
var saveState = async (env, values) => {
  if (!env.GITHUB_STATE) throw new Error("GITHUB_STATE is not set: is this running as a GitHub Actions step?");
  await appendCommandFile(env.GITHUB_STATE, Object.entries(values));
};
var required = (env, input, fallback) => {
  const value = actionInput(env, input) || (fallback === void 0 ? "" : env[fallback] ?? "");
  if (value === "") {
    throw new UsageError(`the input '${input}' is required${fallback ? ` (or set ${fallback} in the job's env)` : ""}`);
  }
  return value;
};
var main = async (env) => {
  await saveState(env, { [STATE.isPost]: "true" });
  const api = required(env, "broker-url", "JIT_API_URL");
  const audience = required(env, "audience", "JIT_CI_AUDIENCE");
  const region = required(env, "aws-region");
  const template = required(env, "template");
  const inputs = actionInput(env, "inputs").split("\n").map((line) => line.trim()).filter((line) => line !== "");
  const duration = actionInput(env, "for");
  await saveState(env, { [STATE.api]: api, [STATE.audience]: audience });
  const broker = ciBroker(nodeHttpFetch, api, env);
  const token = await githubIdToken(nodeHttpFetch, env, audience);
  const vend = await broker.vend(token, { template, inputs, ...duration ? { for: duration } : {} });
  await saveState(env, { [STATE.grantId]: vend.grantId, [STATE.expiresAt]: vend.expiresAt });
  await deliverToGithub(say, env, vend, region);
  say(`Grant ${vend.grantId} (${vend.role}, ${vend.sessionArn}) until ${vend.expiresAt}.`);
  say("The next steps have AWS credentials for this deploy; the post step ends the grant.");
};
var post = async (env) => {
  const grantId = env[`STATE_${STATE.grantId}`];
  try {
    if (!grantId) {
      say("No grant was opened in this job: nothing to end.");
      return;
    }
    const api = env[`STATE_${STATE.api}`] ?? "";
    const token = await githubIdToken(nodeHttpFetch, env, env[`STATE_${STATE.audience}`] ?? "");
    const outcome = await ciBroker(nodeHttpFetch, api, env).done(token, grantId);
    if ("alreadyOver" in outcome) say(annotation("notice", `Nothing to end: ${outcome.alreadyOver}`));
    else say(`Grant ${grantId} is ${outcome.ended.state}: its credentials no longer work.`);
  } catch (error) {
    const until = env[`STATE_${STATE.expiresAt}`];
    throw new Error(
      `could not end grant ${grantId}: ${error.message}${until ? `. Its expiry ends it at ${until}.` : ""}`
    );
  } finally {
    if (grantId && env.GITHUB_ENV)
      await appendCommandFile(
        env.GITHUB_ENV,
        EXPORTED.map((name) => [name, ""])
      );
  }
};
var step = process.env[`STATE_${STATE.isPost}`] === "true" ? post : main;
step(process.env).catch((error) => {
  say(annotation("error", error.message));
  process.exitCode = 1;
});
