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
  /// Paths relative to `directory`, sorted, with their bytes.
  var templates: [(path: String, bytes: [UInt8])]
  var subcharts: [ChartFolder]
  /// Packaged subcharts (`charts/*.tgz`), not read.
  var packagedSubcharts: [String]
  /// `dependencies` of Chart.yaml: a subchart's values key (its alias, else its name) and its
  /// `condition` (comma-separated values paths; the first that exists decides), by name.
  var dependencies: [String: (key: String, condition: [[String]])] = [:]
  /// `type: library`: its templates only define helpers; Helm renders none of them
  /// (https://helm.sh/docs/topics/library_charts/).
  var isLibrary = false
}

/// A chart folder that cannot be read.
struct ChartReadError: Error, Sendable {
  var path: String
  var error: FileError
}

/// Where a chart's files are read from: a folder, or a packaged chart's archive in memory.
enum ChartSource {
  case directory(String)
  /// Files by path relative to the chart's folder inside the archive.
  case archive([String: [UInt8]])

  func file(_ relative: String) -> [UInt8]? {
    switch self {
    case .directory(let directory): return FileManager.default.contents(atPath: directory + "/" + relative).map { Array($0) }
    case .archive(let files): return files[relative]
    }
  }

  /// Files under `folder` (relative paths, sorted), recursively.
  func files(under folder: String) -> [String] {
    switch self {
    case .directory(let directory):
      var files: [String] = []
      ChartReader.collect(directory, folder, into: &files)
      return files
    case .archive(let files):
      return files.keys.filter { $0.hasPrefix(folder + "/") }.sorted()
    }
  }
}

enum ChartReader {
  /// Reads a chart folder; `valuesBytes` are the top-level `values.yaml`'s bytes when the caller
  /// read them already (to check later that nobody wrote the file meanwhile).
  static func read(_ directory: String, valuesBytes: [UInt8]? = nil, depth: Int = 0) throws(ChartReadError) -> ChartFolder {
    try read(directory, source: .directory(directory), valuesBytes: valuesBytes, depth: depth)
  }

  static func read(_ directory: String, source: ChartSource, valuesBytes: [UInt8]? = nil, depth: Int = 0) throws(ChartReadError)
    -> ChartFolder
  {
    let chartPath = directory + "/Chart.yaml"
    guard let chartData = source.file("Chart.yaml") else {
      throw ChartReadError(path: chartPath, error: FileError(line: 0, column: 0, message: "cannot read Chart.yaml"))
    }
    var name = (directory as NSString).lastPathComponent
    var dependencies: [String: (key: String, condition: [[String]])] = [:]
    var version = ""
    var appVersion = ""
    var isLibrary = false
    do {
      if let document = try YAMLParser.parse(SourceBuffer(chartData)).first, let root = document.root {
        let editor = MappingEditor(document)
        func text(_ key: String) -> String? { editor.value(at: [key], in: root).flatMap { document.string(document.resolved($0)) } }
        name = text("name") ?? name
        version = text("version") ?? ""
        appVersion = text("appVersion") ?? ""
        isLibrary = text("type") == "library"
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
    let bytes = valuesBytes ?? source.file("values.yaml") ?? []
    var document: Document?
    do {
      document = try YAMLParser.parse(SourceBuffer(bytes)).first
    } catch {
      throw ChartReadError(path: valuesPath, error: FileError(error))
    }
    let schema = source.file("values.schema.json").flatMap { ValuesSchema(json: Data($0)) }
    let templates = source.files(under: "templates").map { (path: $0, bytes: source.file($0) ?? []) }
    var subcharts: [ChartFolder] = []
    var packaged: [String] = []
    if depth < 8 {
      switch source {
      case .directory:
        let chartsDirectory = directory + "/charts"
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: chartsDirectory)) ?? []
        for entry in entries.sorted() where !entry.hasPrefix(".") {
          let path = chartsDirectory + "/" + entry
          var isDirectory: ObjCBool = false
          guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { continue }
          if isDirectory.boolValue {
            if FileManager.default.fileExists(atPath: path + "/Chart.yaml") { subcharts.append(try read(path, depth: depth + 1)) }
          } else if entry.hasSuffix(".tgz") {
            if let archived = FileManager.default.contents(atPath: path).flatMap({ readArchive(Array($0), at: path, depth: depth + 1) }) {
              subcharts.append(archived)
            } else {
              packaged.append("charts/" + entry)
            }
          }
        }
      case .archive(let files):
        // Subcharts of a packaged chart: folders under its charts/.
        let names = Set(
          files.keys.compactMap { key -> String? in
            let parts = key.split(separator: "/", omittingEmptySubsequences: false)
            return parts.count >= 3 && parts[0] == "charts" && parts[2] == "Chart.yaml" ? String(parts[1]) : nil
          })
        for sub in names.sorted() {
          let prefix = "charts/\(sub)/"
          var inner: [String: [UInt8]] = [:]
          for (key, value) in files where key.hasPrefix(prefix) { inner[String(key.dropFirst(prefix.count))] = value }
          subcharts.append(try read(directory + "/charts/" + sub, source: .archive(inner), depth: depth + 1))
        }
      }
    }
    return ChartFolder(
      directory: directory, name: name, version: version, appVersion: appVersion,
      values: ValuesFile(path: valuesPath, bytes: bytes, document: document), schema: schema, templates: templates,
      subcharts: subcharts, packagedSubcharts: packaged, dependencies: dependencies, isLibrary: isLibrary)
  }

  /// A packaged subchart (`charts/x.tgz`): its files, under the one folder the archive holds.
  static func readArchive(_ bytes: [UInt8], at path: String, depth: Int) -> ChartFolder? {
    guard let files = ChartArchive.files(gzip: bytes) else { return nil }
    guard
      let top = files.keys.first(where: { $0.hasSuffix("/Chart.yaml") && $0.split(separator: "/").count == 2 })?
        .split(separator: "/").first.map(String.init)
    else { return nil }
    var inner: [String: [UInt8]] = [:]
    for (key, value) in files where key.hasPrefix(top + "/") { inner[String(key.dropFirst(top.count + 1))] = value }
    return try? read(path + "/" + top, source: .archive(inner), depth: depth)
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
