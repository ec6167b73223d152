/**
 * What `airlock serve` prints for people: where the MCP endpoint is and ready-to-paste client
 * configuration. It goes to stdout on purpose (the token must be shown once); logs stay on stderr.
 */
export function connectInfo(mcpUrl: string, grant: string, token: string | undefined): string {
  const auth = token ?? '<your grant token>';
  const cursor = { mcpServers: { airlock: { url: mcpUrl, headers: { Authorization: `Bearer ${auth}` } } } };
  const desktop = {
    mcpServers: {
      airlock: {
        command: 'npx',
        args: ['-y', 'mcp-remote', mcpUrl, '--header', 'Authorization:${AIRLOCK_AUTH}'],
        env: { AIRLOCK_AUTH: `Bearer ${auth}` },
      },
    },
  };
  return [
    '',
    `Airlock is serving MCP at ${mcpUrl}`,
    `Grant "${grant}" token: ${auth}`,
    '',
    'Claude Code:',
    `  claude mcp add --transport http airlock ${mcpUrl} --header "Authorization: Bearer ${auth}"`,
    '',
    'Cursor (.cursor/mcp.json):',
    indent(JSON.stringify(cursor, null, 2)),
    '',
    'Claude Desktop (claude_desktop_config.json, through mcp-remote):',
    indent(JSON.stringify(desktop, null, 2)),
    '',
  ].join('\n');
}

const indent = (text: string) => text.replace(/^/gm, '  ');
