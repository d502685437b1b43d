// The built-in default handler of `gateworker start` with no config file: it echoes every
// message back to its sender. A handler module is an ES module whose default export has the
// callbacks it needs (see README.md, "Writing a handler").
export default {
  onConnect(client) {
    client.session.connectedAt = Date.now();
  },
  onMessage(client, message) {
    client.send(message);
  },
};
