/**
 * Whether the microphone goes out: mute, push-to-talk and the talk key, in
 * one place for every media side (MediaEngine feeds its voice gate from it,
 * the web client enables or disables its microphone track). Releasing
 * push-to-talk also releases the key, so switching modes never leaves the
 * microphone open.
 */
export class TalkState {
  private mutedFlag = false;
  private pushToTalkFlag = false;
  private talkingFlag = false;

  /** `onChange(transmitting)` after every change. */
  constructor(private readonly onChange: (transmitting: boolean) => void) {}

  get muted(): boolean {
    return this.mutedFlag;
  }

  get pushToTalk(): boolean {
    return this.pushToTalkFlag;
  }

  get talking(): boolean {
    return this.talkingFlag;
  }

  /** Not muted, and in push-to-talk mode only while the key is held. */
  get transmitting(): boolean {
    return !this.mutedFlag && (!this.pushToTalkFlag || this.talkingFlag);
  }

  setMuted(muted: boolean): void {
    this.mutedFlag = muted;
    this.onChange(this.transmitting);
  }

  setPushToTalk(enabled: boolean): void {
    this.pushToTalkFlag = enabled;
    this.talkingFlag = false;
    this.onChange(this.transmitting);
  }

  setTalking(pressed: boolean): void {
    this.talkingFlag = pressed;
    this.onChange(this.transmitting);
  }
}
