/**
 * Golden wire fixtures: the exact bytes of a few frames. If one of these fails, the wire format
 * changed: bump PROTOCOL_VERSION, update docs/protocol.md, then update the fixture.
 * Each fixture is written field by field, as documented in docs/protocol.md.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeMessage,
  encodeAck,
  encodeAckRanges,
  encodeClientClose,
  encodeClientPoison,
  encodeClientMessage,
  encodeMessage,
  encodeSendToClient,
  encodeSendToClients,
  encodeSendToGroups,
  encodeStreamAck,
  Op,
  packValue,
  PROTOCOL_VERSION,
} from '@gateworker/protocol';
import type { Message } from '@gateworker/protocol';

interface Golden {
  name: string;
  /** The frame, as hex fields (joined without separators). */
  hex: string[];
  message: Message;
  /** The hot-path encoder's output, when the message has one. */
  hot?: () => Buffer;
}

const session = packValue({ user: 'ann' });
const nonce = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

const goldens: Golden[] = [
  {
    name: 'QueryReply (answered: no code field)',
    hex: [
      '00000017', // length 23
      '3d', // op 61 QueryReply
      'de0003', // map16, 3 fields
      'a26964',
      '05', // id: 5
      'a6726573756c74',
      '03', // result: 3
      'a56572726f72',
      'c0', // error: nil
    ],
    message: { op: Op.QueryReply, id: 5, result: 3, error: null },
  },
  {
    name: 'QueryReply (refused: the reason and its wire code)',
    hex: [
      '00000020', // length 32
      '3d', // op 61 QueryReply
      'de0004', // map16, 4 fields
      'a26964',
      '05', // id: 5
      'a6726573756c74',
      'c0', // result: nil
      'a56572726f72',
      'a3626164', // error: "bad"
      'a4636f6465',
      '0d', // code: 13 (GW_ERR_INVALID_QUERY)
    ],
    message: { op: Op.QueryReply, id: 5, result: null, error: 'bad', code: 13 },
  },
  {
    name: 'ClientMessage (text, with session and uid)',
    hex: [
      '00000023', // length 35
      '1f', // op 31 ClientMessage
      '00000007', // seq 7
      '000102030405', // client number (u48 BE)
      '02', // flags: client state (bit 1), text (bit 0 clear)
      '0000000c',
      'de0001a475736572a3616e6e', // session length 12, msgpack {user: 'ann'}
      '0003',
      '616e6e', // uid length 3, "ann"
      '6869', // payload "hi"
    ],
    message: { op: Op.ClientMessage, seq: 7, client: 0x0102030405, session, uid: 'ann', binary: false, payload: Buffer.from('hi') },
    hot: () => encodeClientMessage(7, 0x0102030405, session, false, Buffer.from('hi'), 'ann'),
  },
  {
    name: 'ClientClose (no session)',
    hex: ['0000000c', '20', '00000001', '000000000001', '00'],
    message: { op: Op.ClientClose, seq: 1, client: 1, session: null },
    hot: () => encodeClientClose(1, 1, null),
  },
  {
    name: 'SendToClient (binary)',
    hex: [
      '0000000a', // length 10
      '28', // op 40 SendToClient
      '01', // flags: binary
      '000102030405', // client number
      'dead', // payload
    ],
    message: { op: Op.SendToClient, client: 0x0102030405, binary: true, payload: Buffer.from([0xde, 0xad]) },
    hot: () => encodeSendToClient(0x0102030405, true, Buffer.from([0xde, 0xad])),
  },
  {
    name: 'SendToClients',
    hex: ['00000013', '29', '00', '00000002', '000000000001', '000000000002', '78'],
    message: { op: Op.SendToClients, clients: [1, 2], binary: false, payload: Buffer.from('x') },
    hot: () => encodeSendToClients([1, 2], false, Buffer.from('x')),
  },
  {
    name: 'SendToGroups',
    hex: [
      '0000001e',
      '2c',
      '00',
      '00000017',
      'de0002a667726f75707391a167a76578636c7564659103', // 23 bytes of msgpack {groups: ['g'], exclude: [3]}
      '78',
    ],
    message: { op: Op.SendToGroups, groups: ['g'], exclude: [3], binary: false, payload: Buffer.from('x') },
    hot: () => encodeSendToGroups(['g'], [3], false, Buffer.from('x')),
  },
  {
    name: 'Ack',
    hex: ['00000005', '46', '01020304'],
    message: { op: Op.Ack, seq: 0x01020304 },
    hot: () => encodeAck(0x01020304),
  },
  {
    name: 'AckRanges (two ranges: 3–5 and 9)',
    hex: ['00000011', '4a', '00000003', '00000005', '00000009', '00000009'],
    message: { op: Op.AckRanges, ranges: [3, 5, 9, 9] },
    hot: () => encodeAckRanges([3, 5, 9, 9]),
  },
  {
    name: 'ClientPoison (a text message, 2 deliveries, no session)',
    hex: [
      '00000013', // length 19
      '21', // op 33 ClientPoison
      '00000004', // seq 4
      '000000000009', // client 9
      '00', // flags: text, no client state
      '01', // event: message
      '0002', // deliveries 2
      '626f6f6d', // payload "boom"
    ],
    message: { op: Op.ClientPoison, seq: 4, client: 9, session: null, event: 'message', deliveries: 2, binary: false, payload: Buffer.from('boom') },
    hot: () => encodeClientPoison(4, 9, null, 'message', 2, false, Buffer.from('boom')),
  },
  {
    name: 'BindUid (msgpack control message)',
    hex: [
      '00000017', // length 23
      '32', // op 50 BindUid
      'de0002', // map of 2
      'a6636c69656e74',
      '2a', // "client": 42
      'a3756964',
      'a6757365722d37', // "uid": "user-7"
    ],
    message: { op: Op.BindUid, client: 42, uid: 'user-7' },
  },
  {
    name: 'Hello (fixed nonce)',
    hex: [
      '0000003e', // length 62
      '01', // op 1 Hello
      'de0004',
      'a776657273696f6e',
      '01', // "version": 1
      'a56e6f6e6365',
      'c410000102030405060708090a0b0c0d0e0f', // "nonce": bin8 of 16 bytes
      'a4726f6c65',
      'a767617465776179', // "role": "gateway"
      'a66e6f64654964',
      'a467772d61', // "nodeId": "gw-a"
    ],
    message: { op: Op.Hello, version: 1, nonce, role: 'gateway', nodeId: 'gw-a' },
  },
  {
    name: 'Hello (gateway id and cluster, protocol 2)',
    hex: [
      '00000062', // length 98
      '01', // op 1 Hello
      'de0006',
      'a776657273696f6e',
      '02', // "version": 2
      'a56e6f6e6365',
      'c410000102030405060708090a0b0c0d0e0f', // "nonce": bin8 of 16 bytes
      'a4726f6c65',
      'a767617465776179', // "role": "gateway"
      'a66e6f64654964',
      'a467772d61', // "nodeId": "gw-a"
      'a9676174657761794964',
      'ac306768706e3361357671317a', // "gatewayId": "0ghpn3a5vq1z"
      'a7636c7573746572',
      'a470726f64', // "cluster": "prod"
    ],
    message: { op: Op.Hello, version: 2, nonce, role: 'gateway', nodeId: 'gw-a', gatewayId: '0ghpn3a5vq1z', cluster: 'prod' },
  },
  {
    name: 'StreamAck (u48 applied count)',
    hex: ['00000007', '51', '0000075bcd15'], // length 7, op 81, applied 123456789
    message: { op: Op.StreamAck, applied: 123_456_789 },
    hot: () => encodeStreamAck(123_456_789),
  },
  {
    name: 'StreamResume',
    hex: [
      '00000023', // length 35
      '50', // op 80 StreamResume
      'de0002',
      'a673656e646572',
      'b039663865376436633562346133393231', // "sender": "9f8e7d6c5b4a3921"
      'a5666972737405', // "first": 5
    ],
    message: { op: Op.StreamResume, sender: '9f8e7d6c5b4a3921', first: 5 },
  },
  {
    name: 'Drain (no body)',
    hex: ['00000001', '48'],
    message: { op: Op.Drain },
  },
];

describe('golden wire fixtures', () => {
  it('protocol version is 2 (bump it together with these fixtures)', () => {
    expect(PROTOCOL_VERSION).toBe(2);
  });

  for (const g of goldens) {
    const bytes = Buffer.from(g.hex.join(''), 'hex');

    it(`${g.name}: encodes to the fixture`, () => {
      expect(encodeMessage(g.message).toString('hex')).toBe(bytes.toString('hex'));
      if (g.hot !== undefined) expect(g.hot().toString('hex')).toBe(bytes.toString('hex'));
      expect(bytes.readUInt32BE(0)).toBe(bytes.length - 4);
    });

    it(`${g.name}: decodes from the fixture`, () => {
      expect(decodeMessage(bytes.subarray(4))).toEqual(g.message);
    });
  }
});
