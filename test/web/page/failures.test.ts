import { describe, expect, it } from 'vitest';
import { SignalingError } from '../../../src/engine/signaling/client.js';
import { InvalidJoinCodeError, normalizeJoinCode } from '../../../src/protocol/join-code.js';
import { describeFailure, MAX_NAME_CHARS, nameProblem } from '../../../src/web/page/failures.js';

describe('describeFailure', () => {
  it('microphone denied: says so and how to allow it, then Join again', () => {
    const f = describeFailure(new DOMException('Permission denied', 'NotAllowedError'));
    expect(f.message).toMatch(/not allowed to use your microphone/);
    expect(f.hint).toMatch(/site settings/);
    expect(f.hint).toMatch(/press Join again/);
  });

  it('tells a missing microphone from a busy one', () => {
    expect(describeFailure(new DOMException('', 'NotFoundError')).message).toMatch(/No microphone was found/);
    const busy = describeFailure(new DOMException('Could not start audio source', 'NotReadableError'));
    expect(busy.message).toMatch(/busy/);
    expect(busy.hint).toMatch(/Close other apps or tabs/);
  });

  it('matches microphone errors by name, not class (plain objects from some browsers)', () => {
    expect(describeFailure({ name: 'NotAllowedError', message: 'x' })).toEqual(describeFailure(new DOMException('y', 'NotAllowedError')));
  });

  it('insecure page: points at https or localhost', () => {
    expect(describeFailure(new DOMException('', 'SecurityError')).hint).toMatch(/https.*localhost/);
  });

  it('server errors by code: unreachable, room full, room locked', () => {
    const unreachable = describeFailure(new SignalingError('unreachable', 'cannot reach signaling server ws://h:1/: ECONNREFUSED'));
    expect(unreachable.message).toBe('Cannot reach the Roundtable server.');
    expect(unreachable.hint).toMatch(/roundtable serve/);
    expect(describeFailure(new SignalingError('room-full', 'room is full')).message).toBe('The room is full.');
    const locked = describeFailure(new SignalingError('room-locked', 'locked'));
    expect(locked.message).toMatch(/locked/);
    expect(locked.hint).toMatch(/unlock/);
  });

  it('a protocol mismatch suggests reloading the page', () => {
    expect(describeFailure(new SignalingError('unsupported-version', 'v2 expected')).hint).toMatch(/Reload the page/);
    expect(describeFailure(new SignalingError('protocol', 'closed before joining')).hint).toMatch(/Reload the page/);
  });

  it('an unlisted server code keeps the server message', () => {
    const f = describeFailure(new SignalingError('internal', 'database on fire'));
    expect(f.message).toBe('The server could not add you to the room: database on fire');
    expect(f.hint).toBe('Press Join again.');
  });

  it('a malformed code: the parser message, capitalised, with what a code looks like', () => {
    let err: unknown;
    try {
      normalizeJoinCode('hello-world');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidJoinCodeError);
    const f = describeFailure(err);
    expect(f.message).toMatch(/^Invalid join code "hello-world": expected 4 words and a number/);
    expect(f.hint).toMatch(/four words and a number/);
  });

  it('anything else: the message as is, and Join again', () => {
    expect(describeFailure(new Error('WebRTC is not supported here'))).toEqual({ message: 'WebRTC is not supported here', hint: 'Press Join again.' });
    expect(describeFailure('boom').message).toBe('Boom');
    expect(describeFailure(new Error('   ')).message).toBe('Joining failed for an unknown reason.');
  });
});

describe('nameProblem', () => {
  it('wants 1 to 32 characters after trimming', () => {
    expect(nameProblem('  ')?.message).toBe('Type a display name first.');
    expect(nameProblem('ada')).toBeNull();
    expect(nameProblem('x'.repeat(MAX_NAME_CHARS))).toBeNull();
    expect(nameProblem('x'.repeat(MAX_NAME_CHARS + 1))?.hint).toMatch(/at most 32/);
  });

  it('counts characters, not UTF-16 units', () => {
    expect(nameProblem('😀'.repeat(MAX_NAME_CHARS))).toBeNull();
  });
});
