/**
 * The API reference page: one self-contained HTML document (no CDN, no external file) whose few lines
 * of script read the OpenAPI document and render every endpoint of the three dialects: method, path,
 * auth, parameters, request body and responses, with `$ref` schemas resolved. Works offline.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';

export type DocsPageOptions = {
	/** Where the page is served. */
	readonly path: string;
	/** The OpenAPI document it renders (same origin). */
	readonly openApiPath: string;
};

/** Serves the docs page at `options.path`, without auth (like the OpenAPI document it reads). */
export const mountDocsPage = (app: OpenAPIHono, options: DocsPageOptions): void => {
	const html = PAGE.replace('__OPENAPI__', JSON.stringify(options.openApiPath));
	app.get(options.path, (c) => {
		c.header(
			'Content-Security-Policy',
			"default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'",
		);
		return c.html(html);
	});
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>tapedeck API</title>
<style>
body { font: 15px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem 1.5rem; color: #222; }
h1 { margin-bottom: 0; } h2 { border-bottom: 1px solid #ccc; margin-top: 2.5rem; }
details { border: 1px solid #ddd; border-radius: 6px; margin: .5rem 0; padding: .4rem .8rem; }
summary { cursor: pointer; } code, .path { font-family: ui-monospace, monospace; }
.method { display: inline-block; min-width: 4.2rem; font-weight: bold; text-transform: uppercase; }
.post { color: #1a7f37; } .get { color: #0969da; } .delete { color: #cf222e; }
.field { margin-left: 1.2rem; } .type { color: #8250df; } .req { color: #cf222e; } .muted { color: #666; }
h4 { margin: .8rem 0 .2rem; }
</style>
</head>
<body>
<h1 id="title">tapedeck API</h1>
<p id="intro" class="muted">Loading the OpenAPI document…</p>
<div id="toc"></div>
<main id="api"></main>
<script>
(function () {
	var specUrl = __OPENAPI__;
	var spec;
	function el(tag, className, text) {
		var node = document.createElement(tag);
		if (className) node.className = className;
		if (text !== undefined) node.textContent = text;
		return node;
	}
	function resolve(schema) {
		var seen = 0;
		while (schema && schema.$ref && seen++ < 20) {
			schema = schema.$ref.replace('#/', '').split('/').reduce(function (node, key) { return node && node[key]; }, spec);
		}
		return schema || {};
	}
	function typeOf(schema) {
		schema = resolve(schema);
		if (schema.enum) return schema.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
		if (schema.type === 'array') return 'array of ' + typeOf(schema.items);
		if (schema.anyOf || schema.oneOf) return (schema.anyOf || schema.oneOf).map(typeOf).join(' | ');
		return (schema.type || 'object') + (schema.nullable ? ' | null' : '');
	}
	function fields(schema, depth) {
		var box = el('div');
		schema = resolve(schema);
		if (schema.type === 'array') schema = resolve(schema.items);
		var props = schema.properties || {};
		var required = schema.required || [];
		Object.keys(props).forEach(function (name) {
			var prop = resolve(props[name]);
			var line = el('div', 'field');
			line.appendChild(el('code', '', name));
			line.appendChild(document.createTextNode(' '));
			line.appendChild(el('span', 'type', typeOf(prop)));
			if (required.indexOf(name) >= 0) line.appendChild(el('span', 'req', ' required'));
			if (prop.deprecated) line.appendChild(el('span', 'muted', ' deprecated'));
			if (prop.description) line.appendChild(el('span', 'muted', ' — ' + prop.description));
			if (prop.example !== undefined) line.appendChild(el('span', 'muted', ' (e.g. ' + JSON.stringify(prop.example) + ')'));
			var inner = prop.type === 'array' ? resolve(prop.items) : prop;
			if (depth < 5 && inner.properties) line.appendChild(fields(inner, depth + 1));
			box.appendChild(line);
		});
		return box;
	}
	function operation(path, method, op) {
		var box = el('details');
		var head = el('summary');
		head.appendChild(el('span', 'method ' + method, method));
		head.appendChild(el('span', 'path', path));
		if (op.summary) head.appendChild(el('span', 'muted', ' — ' + op.summary));
		box.appendChild(head);
		if (op.description) box.appendChild(el('p', '', op.description));
		(op.security || []).forEach(function (requirement) {
			Object.keys(requirement).forEach(function (name) {
				var scheme = (spec.components.securitySchemes || {})[name] || {};
				box.appendChild(el('p', 'muted', 'Auth: ' + (scheme.description || name)));
			});
		});
		if (op.parameters && op.parameters.length) {
			box.appendChild(el('h4', '', 'Parameters'));
			op.parameters.forEach(function (p) {
				var line = el('div', 'field');
				line.appendChild(el('code', '', p.name));
				line.appendChild(el('span', 'muted', ' in ' + p.in + ' '));
				line.appendChild(el('span', 'type', typeOf(p.schema)));
				if (p.required) line.appendChild(el('span', 'req', ' required'));
				var description = p.description || resolve(p.schema).description;
				if (description) line.appendChild(el('span', 'muted', ' — ' + description));
				box.appendChild(line);
			});
		}
		var body = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
		if (body) {
			box.appendChild(el('h4', '', 'Request body (JSON)'));
			box.appendChild(fields(body.schema, 0));
		}
		box.appendChild(el('h4', '', 'Responses'));
		Object.keys(op.responses || {}).forEach(function (status) {
			var response = op.responses[status];
			box.appendChild(el('div', '', status + ' — ' + (response.description || '')));
			var json = response.content && response.content['application/json'];
			if (json) box.appendChild(fields(json.schema, 0));
		});
		return box;
	}
	function render() {
		document.getElementById('title').textContent = spec.info.title + ' API ' + spec.info.version;
		document.getElementById('intro').textContent = spec.info.description || '';
		var groups = {};
		Object.keys(spec.paths).forEach(function (path) {
			Object.keys(spec.paths[path]).forEach(function (method) {
				var op = spec.paths[path][method];
				var tag = (op.tags && op.tags[0]) || 'Other';
				(groups[tag] = groups[tag] || []).push(operation(path, method, op));
			});
		});
		var main = document.getElementById('api');
		var toc = document.getElementById('toc');
		Object.keys(groups).forEach(function (tag, i) {
			var heading = el('h2', '', tag);
			heading.id = 'group-' + i;
			main.appendChild(heading);
			groups[tag].forEach(function (node) { main.appendChild(node); });
			var link = el('a', '', tag);
			link.href = '#group-' + i;
			toc.appendChild(link);
			toc.appendChild(document.createTextNode(' · '));
		});
		var raw = el('a', '', 'OpenAPI JSON');
		raw.href = specUrl;
		toc.appendChild(raw);
	}
	fetch(specUrl).then(function (r) { return r.json(); }).then(function (json) { spec = json; render(); }, function (error) {
		document.getElementById('intro').textContent = 'Could not load ' + specUrl + ': ' + error;
	});
})();
</script>
</body>
</html>
`;
