import { checkTemplate, expandTemplate, type TemplateContext } from './index';

const ctx: TemplateContext = {
  Service: { ID: 'svc1', Name: 'web', Labels: { b: '2', a: '1' } },
  Node: { ID: 'node1', Hostname: 'vm1', Platform: { Architecture: 'x86_64', OS: 'linux' } },
  Task: { ID: 'task1', Name: 'web.3.task1', Slot: '3' },
  env: (n) => ({ HOME: '/root' })[n],
  secret: (n) => ({ pw: 's3cret' })[n],
  config: (n) => ({ 'app.conf': 'x=1' })[n],
};

describe('secret and config templates', () => {
  it('expands fields, env, secret and config', () => {
    expect(
      expandTemplate(
        '{{.Service.Name}} {{.Service.ID}} {{.Node.ID}}@{{.Node.Hostname}} {{.Task.Name}}#{{.Task.Slot}} {{env "HOME"}} {{secret "pw"}} {{config "app.conf"}}',
        ctx,
      ),
    ).toBe('web svc1 node1@vm1 web.3.task1#3 /root s3cret x=1');
  });
  it('prints a labels map as Go does, keys sorted', () => {
    expect(expandTemplate('{{.Service.Labels}}', ctx)).toBe('map[a:1 b:2]');
  });
  it('trims whitespace beside {{- and -}}', () => {
    expect(expandTemplate('a  {{- .Task.Slot -}}  b', ctx)).toBe('a3b');
  });
  it('an unknown env variable expands to nothing', () => {
    expect(expandTemplate('[{{env "NOPE"}}]', ctx)).toBe('[]');
  });
  it('refuses a template that does not parse, naming the action', () => {
    expect(() => checkTemplate('{{.Service.Name')).toThrow(/unclosed action at offset 0/);
    expect(() => checkTemplate('{{range .X}}')).toThrow(/unsupported action \{\{range \.X\}\}/);
  });
  it('refuses a field tasks do not have and a secret the task does not use', () => {
    expect(() => expandTemplate('{{.Service.Nope}}', ctx)).toThrow(/\.Service\.Nope/);
    expect(() => expandTemplate('{{secret "other"}}', ctx)).toThrow(/secret "other"/);
  });
});
