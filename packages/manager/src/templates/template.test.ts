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
  it("refuses a template that does not parse, with Go's error text", () => {
    expect(() => checkTemplate('{{.Service.Name')).toThrow('template: :1: unclosed action');
    expect(() => checkTemplate('{{if .Task.Slot}}x')).toThrow(/template: :1: unexpected EOF/);
  });
  it('takes the rest of Go templates: if, range, pipelines, docker functions', () => {
    expect(expandTemplate('{{if eq .Task.Slot "3"}}third{{else}}other{{end}}', ctx)).toBe('third');
    expect(expandTemplate('{{range $k, $v := .Service.Labels}}{{$k}}={{$v}};{{end}}', ctx)).toBe('a=1;b=2;');
    expect(expandTemplate('{{.Service.Name | upper}}-{{printf "%s#%s" .Task.Name .Task.Slot}}', ctx)).toBe(
      'WEB-web.3.task1#3',
    );
  });
  it('refuses at create a field tasks do not have', () => {
    expect(() => checkTemplate('x {{.Service.Nmae}}')).toThrow(/\.Service\.Nmae, which tasks do not have/);
    expect(() => checkTemplate('{{if .Nope}}{{end}}')).toThrow(/\.Nope/);
  });
  it('refuses a field tasks do not have and a secret the task does not use', () => {
    expect(() => expandTemplate('{{.Service.Nope}}', ctx)).toThrow(/\.Service\.Nope/);
    expect(() => expandTemplate('{{secret "other"}}', ctx)).toThrow(/secret "other"/);
  });
});
