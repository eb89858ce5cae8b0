/**
 * The Host values a client on this machine uses for a loopback server (the sandbox, `jit ui`) on
 * `port`. A browser sends the name it resolved: a web page whose own name was rebound to 127.0.0.1
 * (DNS rebinding) still says `evil.example`, so checking Host is what keeps web pages out even
 * though their requests do reach the socket.
 */
const loopbackHosts = (port: number): ReadonlySet<string> => {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  // A client leaves out the default port (RFC 9110 §7.2), so on port 80 the bare names are the same host.
  return new Set([...names.map((name) => `${name}:${port}`), ...(port === 80 ? names : [])]);
};

export { loopbackHosts };
