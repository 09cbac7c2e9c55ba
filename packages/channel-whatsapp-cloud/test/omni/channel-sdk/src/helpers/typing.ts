// Keeps a typing indicator alive per chat and stops it automatically after a duration.

interface ActiveTyping {
  timeout: ReturnType<typeof setTimeout>;
  startedAt: Date;
}

export class TypingManager {
  private typing = new Map<string, ActiveTyping>();
  private defaultDuration: number;
  private sendTyping: (chatId: string, isTyping: boolean) => Promise<void>;

  constructor(options: { defaultDuration?: number; sendTyping: (chatId: string, isTyping: boolean) => Promise<void> }) {
    this.defaultDuration = options.defaultDuration ?? 5000;
    this.sendTyping = options.sendTyping;
  }

  /** Starts or extends typing; a duration of 0 stops it. */
  async startTyping(chatId: string, duration?: number): Promise<void> {
    const ms = duration ?? this.defaultDuration;
    if (ms === 0) {
      await this.stopTyping(chatId);
      return;
    }

    const current = this.typing.get(chatId);
    if (current) clearTimeout(current.timeout);

    await this.sendTyping(chatId, true);

    const timeout = setTimeout(() => this.stopTypingSync(chatId), ms);
    this.typing.set(chatId, { timeout, startedAt: new Date() });
  }

  async stopTyping(chatId: string): Promise<void> {
    const current = this.typing.get(chatId);
    if (!current) return;
    clearTimeout(current.timeout);
    this.typing.delete(chatId);
    await this.sendTyping(chatId, false);
  }

  private stopTypingSync(chatId: string): void {
    const current = this.typing.get(chatId);
    if (!current) return;
    clearTimeout(current.timeout);
    this.typing.delete(chatId);
    this.sendTyping(chatId, false).catch(() => {});
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.typing.keys()].map((chatId) => this.stopTyping(chatId)));
  }

  isTyping(chatId: string): boolean {
    return this.typing.has(chatId);
  }

  getActiveChats(): string[] {
    return [...this.typing.keys()];
  }
}
