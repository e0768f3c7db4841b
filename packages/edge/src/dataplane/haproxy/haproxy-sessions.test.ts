import { describe, expect, it } from 'vitest';
import { establishedStreams } from './haproxy-sessions.js';

// `show sess` as HAProxy 2.6.12 printed it with two requests waiting on n1:a:80 (one over a
// reused connection, one connecting), one on another server, one on a's panic twin, and the CLI.
const SHOW_SESS = [
  '0x564769531350: proto=tcpv4 src=127.0.0.1:42772 fe=wharf be=p0 srv=n1:a:80 ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 rq[f=49c40080h,i=0,an=8000h,rx=,wx=,ax=] rp[f=80400000h,i=0,an=1400000h,rx=4s,wx=,ax=] scf=[8,80h,fd=12] scb=[8,11h,fd=17] exp=4s rc=0 c_exp=',
  '0x564769659ac0: proto=unix_stream src=unix:1 fe=GLOBAL be=<NONE> srv=<none> ts=00 epoch=0 age=0s calls=1 rate=1 cpu=0 lat=0 rq[f=c08002h,i=0,an=00h,rx=10s,wx=,ax=] rp[f=80008002h,i=0,an=00h,rx=,wx=,ax=] scf=[8,0h,fd=22] scb=[8,1h,fd=-1] exp=9s rc=0 c_exp=',
  '0x7fbc78050790: proto=tcpv4 src=127.0.0.1:42808 fe=wharf be=p0 srv=n1:a:80 ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 rq[f=4dc00000h,i=16332,an=8000h,rx=,wx=,ax=] rp[f=80000000h,i=0,an=00h,rx=,wx=,ax=] scf=[8,280h,fd=21] scb=[5,11h,fd=23] exp=0s rc=0 c_exp=0s',
  '0x7fbc78042150: proto=tcpv4 src=127.0.0.1:42774 fe=wharf be=p0 srv=n1:b:80 ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 rq[f=49c40080h,i=0,an=8000h,rx=,wx=,ax=] rp[f=80400000h,i=0,an=1400000h,rx=4s,wx=,ax=] scf=[8,80h,fd=13] scb=[8,11h,fd=15] exp=4s rc=0 c_exp=',
  '0x7fbc78042990: proto=tcpv4 src=127.0.0.1:42776 fe=wharf be=p1 srv=n1:a:80 ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 rq[f=49c40080h,i=0,an=8000h,rx=,wx=,ax=] rp[f=80400000h,i=0,an=1400000h,rx=4s,wx=,ax=] scf=[8,80h,fd=14] scb=[8,11h,fd=16] exp=4s rc=0 c_exp=',
  '0x7fbc78043000: proto=tcpv4 src=127.0.0.1:42778 fe=wharf be=p0 srv=n1:a:80:panic ts=00 epoch=0 age=0s calls=1 rate=0 cpu=0 lat=0 rq[f=49c40080h,i=0,an=8000h,rx=,wx=,ax=] rp[f=80400000h,i=0,an=1400000h,rx=4s,wx=,ax=] scf=[8,80h,fd=18] scb=[8,11h,fd=19] exp=4s rc=0 c_exp=',
  '',
].join('\n');

describe('establishedStreams', () => {
  it('finds the streams connected to the named servers of one backend, not those still connecting', () => {
    expect(establishedStreams(SHOW_SESS, 'p0', ['n1:a:80'])).toEqual(['0x564769531350']);
    expect(establishedStreams(SHOW_SESS, 'p0', ['n1:a:80', 'n1:a:80:panic'])).toEqual([
      '0x564769531350',
      '0x7fbc78043000',
    ]);
    expect(establishedStreams(SHOW_SESS, 'p1', ['n1:a:80'])).toEqual(['0x7fbc78042990']);
  });

  it('reads nothing from an empty or unexpected answer', () => {
    expect(establishedStreams('', 'p0', ['n1:a:80'])).toEqual([]);
    expect(establishedStreams('Unknown command.\n', 'p0', ['n1:a:80'])).toEqual([]);
  });
});
