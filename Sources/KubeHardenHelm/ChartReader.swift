import Foundation
import KubeHarden
import YAMLSource

/// One chart folder as Helm loads it: `Chart.yaml`, `values.yaml`, `values.schema.json`, the
/// files under `templates/`, and the subcharts under `charts/`.
///
/// Layout from https://helm.sh/docs/topics/charts/ ("The Chart File Structure"): templates are
/// every file under `templates/`; files whose name starts with `_` hold helpers and render no
/// manifest, and `templates/NOTES.txt` is printed, not installed.
struct ChartFolder: Sendable {
  var directory: String
  var name: String
  var version: String
  var appVersion: String
  var values: ValuesFile
  var schema: ValuesSchema?
  /// Paths relative to `directory`, sorted.
  var templates: [String]
  var subcharts: [ChartFolder]
  /// Packaged subcharts (`charts/*.tgz`), not read.
  var packagedSubcharts: [String]
  /// `dependencies` of Chart.yaml: a subchart's values key (its alias, else its name) and its
  /// `condition` (comma-separated values paths; the first that exists decides), by name.
  var dependencies: [String: (key: String, condition: [[String]])] = [:]
}

/// A chart folder that cannot be read.
struct ChartReadError: Error, Sendable {
  var path: String
  var error: FileError
}

enum ChartReader {
  /// Reads a chart folder; `valuesBytes` are the top-level `values.yaml`'s bytes when the caller
  /// read them already (to check later that nobody wrote the file meanwhile).
  static func read(_ directory: String, valuesBytes: [UInt8]? = nil, depth: Int = 0) throws(ChartReadError) -> ChartFolder {
    let chartPath = directory + "/Chart.yaml"
    guard let chartData = FileManager.default.contents(atPath: chartPath) else {
      throw ChartReadError(path: chartPath, error: FileError(line: 0, column: 0, message: "cannot read Chart.yaml"))
    }
    var name = (directory as NSString).lastPathComponent
    var dependencies: [String: (key: String, condition: [[String]])] = [:]
    var version = ""
    var appVersion = ""
    do {
      if let document = try YAMLParser.parse(SourceBuffer(Array(chartData))).first, let root = document.root {
        let editor = MappingEditor(document)
        func text(_ key: String) -> String? { editor.value(at: [key], in: root).flatMap { document.string(document.resolved($0)) } }
        name = text("name") ?? name
        version = text("version") ?? ""
        appVersion = text("appVersion") ?? ""
        if let list = editor.value(at: ["dependencies"], in: root) {
          for item in document.items(document.resolved(list)) {
            func field(_ key: String) -> String? { editor.value(at: [key], in: item).flatMap { document.string(document.resolved($0)) } }
            guard let dependency = field("name") else { continue }
            let condition = (field("condition") ?? "").split(separator: ",").map {
              $0.trimmingCharacters(in: .whitespaces).split(separator: ".").map(String.init)
            }.filter { !$0.isEmpty }
            dependencies[dependency] = (field("alias") ?? dependency, condition)
          }
        }
      }
    } catch {
      throw ChartReadError(path: chartPath, error: FileError(error))
    }
    let valuesPath = directory + "/values.yaml"
    let bytes = valuesBytes ?? FileManager.default.contents(atPath: valuesPath).map { Array($0) } ?? []
    var document: Document?
    do {
      document = try YAMLParser.parse(SourceBuffer(bytes)).first
    } catch {
      throw ChartReadError(path: valuesPath, error: FileError(error))
    }
    let schema = FileManager.default.contents(atPath: directory + "/values.schema.json").flatMap { ValuesSchema(json: $0) }
    var templates: [String] = []
    collect(directory, "templates", into: &templates)
    var subcharts: [ChartFolder] = []
    var packaged: [String] = []
    let chartsDirectory = directory + "/charts"
    if depth < 8, let entries = try? FileManager.default.contentsOfDirectory(atPath: chartsDirectory) {
      for entry in entries.sorted() where !entry.hasPrefix(".") {
        let path = chartsDirectory + "/" + entry
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
        if isDirectory.boolValue {
          if FileManager.default.fileExists(atPath: path + "/Chart.yaml") { subcharts.append(try read(path, depth: depth + 1)) }
        } else if entry.hasSuffix(".tgz") {
          packaged.append("charts/" + entry)
        }
      }
    }
    return ChartFolder(
      directory: directory, name: name, version: version, appVersion: appVersion,
      values: ValuesFile(path: valuesPath, bytes: bytes, document: document), schema: schema, templates: templates,
      subcharts: subcharts, packagedSubcharts: packaged, dependencies: dependencies)
  }

  static func collect(_ base: String, _ relative: String, into files: inout [String]) {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base + "/" + relative) else { return }
    for entry in entries.sorted() where !entry.hasPrefix(".") {
      let path = relative + "/" + entry
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: base + "/" + path, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue { collect(base, path, into: &files) } else { files.append(path) }
    }
  }

  /// Whether a template file renders a manifest (not a helper, not the notes).
  static func rendersManifest(_ relative: String) -> Bool {
    let file = (relative as NSString).lastPathComponent
    return !file.hasPrefix("_") && file != "NOTES.txt"
  }
}
