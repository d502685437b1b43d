// The handler every cluster scenario runs (copied into the cluster's temp dir by cluster.js,
// with VERSION replaced for reload-under-load). Text messages, dispatched on the first byte:
//   J|<n>                 bind uid "u<n>", join group "g", reply "ok"        (fan-out receivers)
//   C                     join group "ctl", reply "ok"                        (control client)
//   A|<id>|<size>         sendToAll("B|<id>|xxx…")                            (fan-out trigger)
//   G|<id>|<size>         sendToGroup("g", …)
//   U|<id>|<size>|<from>|<to>   sendToUid("u<k>", …) once per k in [from, to)
//   I…                    one-way ingest: counted; each worker publishes "N|<pid>|<count>" to group "ctl"
//   S|<seq>               reply "R|<VERSION>|<seq>"                           (reload-under-load)
//   anything else         echoed back (client.send(message))
const VERSION = '__VERSION__';

let ingested = 0;
let published = 0;
let api = null;
let timer = null;

function payloadOf(id, size) {
  const head = `B|${id}|`;
  return head + 'x'.repeat(Math.max(0, size - head.length));
}

function publish() {
  if (api === null || ingested === published) return;
  published = ingested;
  api.sendToGroup('ctl', `N|${process.pid}|${ingested}`).catch(() => {});
}

export default {
  onWorkerStart(worker) {
    api = worker.gateway;
    timer = setInterval(publish, 100);
    timer.unref?.();
  },
  onWorkerStop() {
    publish();
    if (timer !== null) clearInterval(timer);
  },
  onMessage(client, message) {
    if (typeof message !== 'string') {
      client.send(message);
      return;
    }
    switch (message.charCodeAt(0)) {
      case 73: // I
        ingested++;
        return;
      case 83: // S
        client.send(`R|${VERSION}|${message.slice(2)}`);
        return;
      case 74: // J
        client.bindUid(`u${message.slice(2)}`);
        client.joinGroup('g');
        client.send('ok');
        return;
      case 67: // C
        if (message === 'C') {
          client.joinGroup('ctl');
          client.send('ok');
          return;
        }
        break;
      case 65: {
        // A
        const [, id, size] = message.split('|');
        return client.gateway.sendToAll(payloadOf(id, Number(size)));
      }
      case 71: {
        // G
        const [, id, size] = message.split('|');
        return client.gateway.sendToGroup('g', payloadOf(id, Number(size)));
      }
      case 85: {
        // U
        const [, id, size, from, to] = message.split('|');
        const data = payloadOf(id, Number(size));
        const sends = [];
        for (let k = Number(from); k < Number(to); k++) sends.push(client.gateway.sendToUid(`u${k}`, data));
        return Promise.all(sends);
      }
      default:
        break;
    }
    client.send(message);
  },
};
