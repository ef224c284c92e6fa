/**
 * Knock and admit, and chat, against real processes: a `roundtable serve`,
 * three headless `join`s with fixture WAVs and control sockets, `roundtable
 * ctl` as the user runs it.
 * - one locks the room (ctl lock); a fourth join knocks, the members are
 *   told who knocks (the name was sealed: the server never read it), one
 *   admits it (ctl admit), and it joins the call over real links;
 * - a fifth knocks and is turned away (ctl deny): exit 1, "the room said no";
 * - chat messages sent with ctl say reach every peer, peer to peer, in the
 *   order they were sent, with control characters and escape sequences
 *   stripped; the admitted newcomer answers and everyone gets that too.
 * Times are asserted loosely (bench/knock-chat.ts prints them).
 */
import { describe, expect, it } from 'vitest';
import { joinArgs, newCode, runClient, runCtl, serveProcess, sessionWorkspace, sleep, speech, writeLoopbackConfig, type Client, type LogLine } from './harness.js';

const ws = sessionWorkspace();
const clients = ws.clients;

const chats = (c: Client): LogLine[] => c.lines.filter((l) => l.event === 'chat' && l.self !== true);
const pid = (c: Client): string => String(c.proc.pid);

describe('knock, admit, deny and chat with real sessions', () => {
  it('a knock is admitted through ctl admit, another denied; ctl say reaches every peer in order, sanitized', async () => {
    const serve = await serveProcess();
    clients.push(serve.client);
    const code = newCode();
    const config = writeLoopbackConfig(ws.dir);
    const join = (name: string, voice: 'a' | 'b' | 'c', control = true): Client => {
      const c = runClient(name, joinArgs(name, { code, server: serve.url, config, input: speech(voice), output: ws.dir.file(`${name}.wav`), control }));
      clients.push(c);
      return c;
    };
    const ada = join('ada', 'a');
    await ada.waitFor((l) => l.event === 'control-socket', 20_000, "ada's control socket");
    const bob = join('bob', 'b');
    const cleo = join('cleo', 'c');
    const members = [ada, bob, cleo];
    for (const c of members) {
      await c.waitFor((l) => l.event === 'control-socket', 20_000, 'its control socket');
      for (const other of members.filter((o) => o !== c)) await c.waitFor((l) => l.event === 'peer-connected' && l.name === other.name, 20_000, `${other.name} connected`);
    }
    expect(await runCtl(['lock', '--pid', pid(ada)])).toMatchObject({ code: 0, stdout: 'room locked\n' });

    // Dan knocks: every member is asked with his name; bob lets him in.
    const dan = join('dan', 'a');
    const knocking = await dan.waitFor((l) => l.event === 'knocking' && l.message === 'the room is locked: waiting to be let in', 20_000, 'dan knocking');
    const asked = await Promise.all(members.map((c) => c.waitFor((l) => l.event === 'knock' && l.name === 'dan', 10_000, 'the knock')));
    expect(asked.every((l) => l.message === 'dan asks to join')).toBe(true);
    const pending = JSON.parse((await runCtl(['status', '--json', '--pid', pid(cleo)])).stdout) as { knocks: Array<{ name: string }> };
    expect(pending.knocks.map((k) => k.name)).toEqual(['dan']);
    const admitStartMs = Date.now();
    expect(await runCtl(['admit', 'dan', '--pid', pid(bob)])).toMatchObject({ code: 0, stdout: 'you let dan in\n' });
    const danIn = await dan.waitFor((l) => l.event === 'signaling-joined', 10_000, 'dan let in');
    for (const c of members) {
      await c.waitFor((l) => l.event === 'knock-end' && l.outcome === 'admitted', 10_000, 'the knock ended');
      await dan.waitFor((l) => l.event === 'peer-connected' && l.name === c.name, 20_000, `dan connected to ${c.name}`);
    }
    expect(ada.lines.find((l) => l.event === 'knock-end')).toMatchObject({ message: 'bob let dan in', by: 'bob' });
    // Knock reaches the members within seconds; from the admit command to dan's join, likewise (ctl's own start included).
    expect(Math.max(...asked.map((l) => l.seenAtMs)) - knocking.seenAtMs).toBeLessThan(3000);
    expect(danIn.seenAtMs - admitStartMs).toBeLessThan(5000);

    // Eve knocks and is turned away: exit 1, in words.
    const eve = join('eve', 'b', false);
    await cleo.waitFor((l) => l.event === 'knock' && l.name === 'eve', 20_000, 'eve knocking');
    expect(await runCtl(['deny', 'eve', '--pid', pid(cleo)])).toMatchObject({ code: 0, stdout: 'you turned eve away\n' });
    expect((await eve.exited).code).toBe(1);
    const refusal = JSON.parse(eve.stderr().trim().split('\n').at(-1)!) as { error: { message: string; exitCode: number } };
    expect(refusal.error).toMatchObject({ message: 'the room said no', exitCode: 1 });
    await dan.waitFor((l) => l.event === 'knock-end' && l.outcome === 'denied' && l.by === 'cleo', 10_000, 'dan told cleo turned eve away');

    // Chat: ada's lines reach all three others in order; escapes and control characters never reach a log or a screen.
    await sleep(1000); // the chat channels open right after each link
    const sent = ['one', 'two \u001b[31mred\u001b[0m\u0007 and \u001b]0;title\u0007done', 'three \u202eevil'];
    for (const text of sent) expect(await runCtl(['say', text, '--pid', pid(ada)])).toMatchObject({ code: 0, stdout: 'sent\n' });
    const expected = ['one', 'two red and done', 'three evil'];
    const sentAt = ada.lines.filter((l) => l.event === 'chat' && l.self === true).map((l) => l.seenAtMs);
    expect(sentAt).toHaveLength(3);
    for (const c of [bob, cleo, dan]) {
      await c.waitFor(() => chats(c).filter((l) => l.from === 'ada').length >= 3, 10_000, 'three lines from ada');
      const got = chats(c).filter((l) => l.from === 'ada');
      expect(got.map((l) => l.text)).toEqual(expected);
      got.forEach((l, i) => expect(l.seenAtMs - sentAt[i]!).toBeLessThan(2000));
    }
    // The newcomer answers; the members get it too.
    const reply = await runCtl(['say', 'hi all, thanks', '--pid', pid(dan)]);
    expect(reply).toMatchObject({ code: 0 });
    for (const c of members) await c.waitFor((l) => l.event === 'chat' && l.from === 'dan' && l.text === 'hi all, thanks', 10_000, "dan's line");
    // A line over the limit is refused in words.
    const long = await runCtl(['say', 'x'.repeat(1001), '--pid', pid(bob)]);
    expect(long.code).toBe(1);
    expect(long.stderr).toContain('message not sent: 1001 characters, the limit is 1000');
    // ctl status carries the chat as the session shows it.
    const st = JSON.parse((await runCtl(['status', '--json', '--pid', pid(cleo)])).stdout) as { chat: Array<{ kind: string; from: string; text: string }> };
    expect(st.chat.filter((l) => l.kind === 'message').map((l) => `${l.from}: ${l.text}`)).toEqual([...expected.map((t) => `ada: ${t}`), 'dan: hi all, thanks']);

    for (const c of [ada, bob, cleo, dan]) c.proc.kill('SIGTERM');
    const exits = await Promise.all([ada, bob, cleo, dan].map((c) => c.exited));
    expect(exits.map((e) => e.code)).toEqual([0, 0, 0, 0]);
    serve.client.proc.kill('SIGTERM');
    await serve.client.exited;
  });
});
