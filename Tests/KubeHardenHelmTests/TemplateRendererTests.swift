import Foundation
import KubeHarden
import XCTest
import YAMLSource

@testable import KubeHardenHelm

/// The template reader: trim markers, control structures, values, and where rendered values come from.
final class TemplateRendererTests: XCTestCase {
  func scope(_ values: String) throws -> ValuesScope {
    let document = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(values)).first)
    let root = try XCTUnwrap(document.root)
    return ValuesScope(layers: [.init(document: document, editor: MappingEditor(document), root: root, prefix: [])], editPrefix: [])
  }

  func render(_ template: String, values: String, defines: String = "") throws -> RenderedText {
    let parsed = try TemplateParser.parse(Array(template.utf8), file: 0)
    let helpers = try TemplateParser.parse(Array(defines.utf8), file: 1)
    let renderer = TemplateRenderer(
      scope: try scope(values), defines: parsed.defines.merging(helpers.defines) { a, _ in a },
      files: [Array(template.utf8), Array(defines.utf8)], chartName: "demo", chartVersion: "0.1.0", appVersion: "1.0")
    return renderer.render(parsed.nodes, dot: .root)
  }

  func testTrimMarkersAndComments() throws {
    let out = try render("a:\n  {{- /* note */ -}}\n  {{- \" b\" }}\nc: {{ .Chart.Name }}\n", values: "{}")
    XCTAssertEqual(out.text, "a: b\nc: demo\n")
  }

  func testWithAndToYamlRecordValuesPaths() throws {
    let out = try render(
      "spec:\n  {{- with .Values.pod }}\n  securityContext:\n    {{- toYaml . | nindent 4 }}\n  {{- end }}\n",
      values: "pod:\n  runAsNonRoot: true\n  seccompProfile:\n    type: RuntimeDefault\n")
    XCTAssertEqual(out.text, "spec:\n  securityContext:\n    runAsNonRoot: true\n    seccompProfile: {type: RuntimeDefault}\n")
    XCTAssertEqual(out.chunks.map(\.path), [["pod", "runAsNonRoot"], ["pod", "seccompProfile"]])
  }

  func testEmptyGuardedBlockRendersToBeFilled() throws {
    // `with` of an empty map renders nothing in Helm; kubeharden renders `{}` to fill it.
    let out = try render(
      "c:\n  {{- with .Values.sc }}\n  securityContext: {{- toYaml . | nindent 4 }}\n  {{- end }}\n", values: "sc: {}\n")
    XCTAssertEqual(out.text, "c:\n  securityContext: {}\n")
    XCTAssertEqual(out.chunks.map(\.path), [["sc"]])
    // A list written at its key's column (valid for a block list, not for `[]`): on the key's line.
    let list = try render(
      "c:\n  {{- with .Values.env }}\n  env:\n  {{- toYaml . | nindent 2 }}\n  {{- end }}\n  d: 1\n", values: "env: []\n")
    XCTAssertEqual(list.text, "c:\n  env: []\n  d: 1\n")
    // ... but not where an else branch renders something else, nor for a guard that is not the value written.
    let other = try render(
      "c:\n  {{- if .Values.sc }}\n  a: {{ toYaml .Values.sc }}\n  {{- else }}\n  b: 1\n  {{- end }}\n  {{- if .Values.on }}\n  d: 2\n  {{- end }}\n",
      values: "sc: {}\non: false\n")
    XCTAssertEqual(other.text, "c:\n  b: 1\n")
  }

  func testAListFromValuesContinuesALiteralList() throws {
    let template = """
      c:
        {{- with .Values.sc }}
        securityContext:
          {{- toYaml . | nindent 4 }}
        {{- end }}
        mounts:
        - name: config
          items:
          - key: a
        {{- with .Values.more }}
          {{- toYaml . | nindent 2 }}
        {{- end }}

      """
    let empty = try render(template + "d:\n  {{- with .Values.sc }}\n  e: {{ toYaml . }}\n  {{- end }}\n", values: "more: []\nsc: {}\n")
    // An empty value placed on its key's line later (which trims the text before it) keeps the tail's column.
    XCTAssertEqual(empty.chunks.map(\.kind), [.node, .listTail, .node])
    let tail = try XCTUnwrap(empty.chunks.first { $0.kind == .listTail })
    XCTAssertEqual(tail.column, 2, "the outer list's column, not the inner one's")
    let document = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(empty.bytes)).first)
    let bindings = Bindings(document: document, rendered: empty, base: 0)
    let editor = MappingEditor(document)
    let mounts = try XCTUnwrap(editor.value(at: ["c", "mounts"], in: try XCTUnwrap(document.root)))
    XCTAssertEqual(bindings.path(ofValue: mounts), ["more"])
    let inner = try XCTUnwrap(editor.value(at: ["items"], in: try XCTUnwrap(document.items(mounts).first)))
    XCTAssertNil(bindings.path(ofValue: inner))
    // Items already there: the same.
    let full = try render(template, values: "more:\n- name: extra\n")
    let fullDocument = try XCTUnwrap(try YAMLParser.parse(SourceBuffer(full.bytes)).first)
    let fullMounts = try XCTUnwrap(MappingEditor(fullDocument).value(at: ["c", "mounts"], in: try XCTUnwrap(fullDocument.root)))
    XCTAssertEqual(Bindings(document: fullDocument, rendered: full, base: 0).path(ofValue: fullMounts), ["more"])
  }

  func testConditionsAndIncludes() throws {
    let out = try render(
      "{{- if and .Values.a (not .Values.b) }}x: {{ include \"demo.name\" . | quote }}{{ end }}\n",
      values: "a: true\nb: false\nname: web\n", defines: "{{- define \"demo.name\" -}}{{ .Values.name }}{{- end -}}")
    XCTAssertEqual(out.text, "x: \"web\"\n")
    XCTAssertEqual(out.chunks.map(\.path), [["name"]])
    XCTAssertEqual(out.chunks.first?.kind, .scalar)
  }

  func testStringFunctions() throws {
    // The scaffold's fullname helper: `contains`, `printf`, `trunc`, `trimSuffix`, `default`.
    let helpers = """
      {{- define "demo.fullname" -}}
      {{- $name := default .Chart.Name .Values.nameOverride }}
      {{- if contains $name .Release.Name }}
      {{- .Release.Name | trunc 63 | trimSuffix "-" }}
      {{- else }}
      {{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
      {{- end }}
      {{- end }}
      """
    let out = try render("name: {{ include \"demo.fullname\" . }}\n", values: "nameOverride: \"\"\n", defines: helpers)
    XCTAssertEqual(out.text, "name: rel-demo\n")
  }

  func testUnknownOutputAtALineStartIsAComment() throws {
    let out = try render("labels:\n  {{ include \"missing\" . }}\n  a: {{ lookup \"v1\" }}\n", values: "{}")
    XCTAssertEqual(out.text, "labels:\n  #x\n  a: x\n")
  }

  func testDeepNestingIsRefusedNotACrash() throws {
    let deep = String(repeating: "{{ if .Values.a }}", count: 5000) + "x" + String(repeating: "{{ end }}", count: 5000)
    XCTAssertThrowsError(try TemplateParser.parse(Array(deep.utf8), file: 0))
    let parens = "a: {{ " + String(repeating: "(", count: 5000) + ".Values.a" + String(repeating: ")", count: 5000) + " }}\n"
    XCTAssertEqual(try render(parens, values: "a: 1\n").text, "a: x\n")
    // Absurd arguments: not evaluated (no huge allocation, no trap).
    XCTAssertLessThan(try render("a:\n  {{- \"b: 1\" | nindent 999999999999 }}\n", values: "{}").bytes.count, 16)
    XCTAssertEqual(try render("a: {{ \"abcdef\" | trunc -2 }}\n", values: "{}").text, "a: ef\n")
    // An unterminated string literal is not evaluated (it once recursed without end).
    XCTAssertEqual(try render("a: {{ \"abc\"x }}\nb: {{ `x`y }}\n", values: "{}").text, "a: x\nb: x\n")
    // A value ending in spaces, then an empty value placed after it, then indented.
    let spaced = try render(
      "{{- define \"t\" -}}k: {{ .Values.s }}\n{{- with .Values.e }}{{ toYaml . | nindent 2 }}{{ end }}{{- end -}}\nx:{{ include \"t\" . | nindent 2 }}\n",
      values: "s: \"v:  \"\ne: {}\n")
    XCTAssertEqual(spaced.text, "x:\n  k: v: {}\n")
  }

  func testUnterminatedActionIsAnError() {
    XCTAssertThrowsError(try TemplateParser.parse(Array("a: {{ .Values.x".utf8), file: 0))
    XCTAssertThrowsError(try TemplateParser.parse(Array("{{ if .Values.x }}a".utf8), file: 0))
  }

  func testSplitManifestsLikeHelm() {
    let text = Array("a: 1\n---# comment\nb: 2\n---\nc: 3\n".utf8)
    let pieces = ChartSession.splitManifests(text).map { String(decoding: text[$0], as: UTF8.self) }
    XCTAssertEqual(pieces, ["a: 1\n", "# comment\nb: 2\n", "c: 3\n"])
  }

  func testTruthOfValues() throws {
    let s = try scope("a: {}\nb: [x]\nc: \"\"\nd: 0\ne: \"false\"\nf: null\ng: {k: v}\n")
    XCTAssertEqual(
      ["a", "b", "c", "d", "e", "f", "g", "missing"].map { s.isTruthy([$0]) }, [false, true, false, false, true, false, true, false])
    XCTAssertTrue(s.isEmptyMapOrMissing(["a"]))
    XCTAssertTrue(s.isEmptyMapOrMissing(["missing"]))
    XCTAssertFalse(s.isEmptyMapOrMissing(["g"]))
  }

  func testSchemaForbidsOnlyWhatItSays() throws {
    let schema = try XCTUnwrap(
      ValuesSchema(
        json: Data(
          ##"{"additionalProperties": false, "properties": {"sc": {"$ref": "#/$defs/sc"}, "free": {"type": "object"}}, "$defs": {"sc": {"additionalProperties": false, "properties": {"runAsNonRoot": {}}}}}"##
            .utf8)))
    XCTAssertNil(schema.forbiddenKey(in: ["sc", "runAsNonRoot"]))
    XCTAssertEqual(schema.forbiddenKey(in: ["sc", "privileged"]), ["sc", "privileged"])
    XCTAssertEqual(schema.forbiddenKey(in: ["other"]), ["other"])
    XCTAssertNil(schema.forbiddenKey(in: ["free", "anything", "deeper"]))
  }

  func testPackagedChartArchive() throws {
    let url = HelmFixtureTests.root.appendingPathComponent("packaged-subchart/chart/charts/lib-0.1.0.tgz")
    let bytes = Array(try Data(contentsOf: url))
    let files = try XCTUnwrap(ChartArchive.files(gzip: bytes))
    XCTAssertEqual(files.keys.sorted(), ["lib/Chart.yaml", "lib/templates/_container.tpl"])
    XCTAssertTrue(String(decoding: files["lib/Chart.yaml"] ?? [], as: UTF8.self).contains("type: library"))
    // Not gzip, or cut short: not read (never a crash).
    XCTAssertNil(ChartArchive.files(gzip: Array("not an archive at all".utf8)))
    XCTAssertNil(ChartArchive.files(gzip: Array(bytes.prefix(bytes.count / 2))))
    XCTAssertNil(ChartArchive.untar([UInt8](repeating: 0x41, count: 512)))
  }
}
