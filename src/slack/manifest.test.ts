import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (name: string) => readFileSync(new URL(`../../slack/${name}`, import.meta.url), 'utf8');

describe('the Slack app manifests', () => {
  it('ask for exactly the scopes the bot uses, and point interactivity at /slack/events (HTTP) or Socket Mode', () => {
    for (const name of ['manifest.yaml', 'manifest.socket-mode.yaml']) {
      const scopes = [...read(name).matchAll(/^ {6}- ([a-z:.]+)$/gmu)].map((m) => m[1]);
      expect(scopes, name).toEqual(['chat:write', 'usergroups:read']);
    }
    expect(read('manifest.yaml')).toMatch(
      /request_url: https:\/\/YOUR-HOST\/slack\/events\n[\s\S]*socket_mode_enabled: false/u,
    );
    expect(read('manifest.socket-mode.yaml')).toMatch(/socket_mode_enabled: true/u);
    expect(read('manifest.socket-mode.yaml')).not.toContain('request_url');
  });
});
