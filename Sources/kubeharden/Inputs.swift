import Foundation
import KubeHarden

/// One input to process: a file path as given (or found under a directory), or standard input.
struct Input: Sendable {
  var path: String
  var isStdin: Bool
}

/// Expands command-line paths into files: directories recurse into *.yaml, *.yml and *.json,
/// skipping hidden folders and symlink loops; the result is sorted by path and de-duplicated.
enum InputCollector {
  static let extensions: Set<String> = ["yaml", "yml", "json"]

  static func collect(_ paths: [String], errors: inout [(String, String)]) -> [Input] {
    var inputs: [Input] = []
    var seen = Set<String>()
    for path in paths {
      if path == "-" {
        inputs.append(Input(path: "-", isStdin: true))
        continue
      }
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        errors.append((path, "no such file or directory"))
        continue
      }
      if isDirectory.boolValue {
        var visited = Set<String>()
        var found: [String] = []
        walk(path, visited: &visited, into: &found, errors: &errors)
        for file in found.sorted() where seen.insert(realPath(file)).inserted { inputs.append(Input(path: file, isStdin: false)) }
      } else if seen.insert(realPath(path)).inserted {
        inputs.append(Input(path: path, isStdin: false))
      }
    }
    return inputs
  }

  /// The file a path names, links resolved: the same file given twice is processed once.
  static func realPath(_ path: String) -> String {
    URL(fileURLWithPath: path).resolvingSymlinksInPath().standardizedFileURL.path
  }

  static func walk(_ directory: String, visited: inout Set<String>, into found: inout [String], errors: inout [(String, String)]) {
    let real = URL(fileURLWithPath: directory).resolvingSymlinksInPath().path
    guard visited.insert(real).inserted else { return }  // symlink loop or repeat
    let entries: [String]
    do {
      entries = try FileManager.default.contentsOfDirectory(atPath: directory)
    } catch {
      errors.append((directory, "cannot read directory"))
      return
    }
    for name in entries.sorted() {
      let child = directory.hasSuffix("/") ? directory + name : directory + "/" + name
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: child, isDirectory: &isDirectory) else { continue }
      if isDirectory.boolValue {
        if name.hasPrefix(".") { continue }  // hidden folders: .git, .github caches, ...
        walk(child, visited: &visited, into: &found, errors: &errors)
      } else if name == ".kubeharden.yaml" || name.contains(".kubeharden-") {
        continue  // the configuration file, and temporary files of a running fix
      } else if extensions.contains((name as NSString).pathExtension.lowercased()) {
        found.append(child)
      }
    }
  }
}

/// Finds and caches the configuration that applies to each file.
final class ConfigurationResolver: @unchecked Sendable {
  let explicitPath: String?
  let options: CommonOptions
  private var cache: [String: Configuration] = [:]
  /// The configuration file found for each folder (nil: none), so a tree of many files walks up
  /// from each folder once.
  private var found: [String: String?] = [:]
  private let lock = NSLock()

  init(explicitPath: String?, options: CommonOptions) {
    self.explicitPath = explicitPath
    self.options = options
  }

  /// The configuration for a file: `--config` or the nearest `.kubeharden.yaml` above it, then flags.
  func configuration(for input: Input) throws(ConfigurationError) -> Configuration {
    let configPath: String?
    if let explicitPath {
      configPath = explicitPath
    } else {
      let start = input.isStdin ? FileManager.default.currentDirectoryPath : (input.path as NSString).deletingLastPathComponent
      let folder = start.isEmpty ? "." : start
      lock.lock()
      let known = found[folder]
      lock.unlock()
      if let known {
        configPath = known
      } else {
        configPath = ConfigurationResolver.find(from: folder)
        lock.lock()
        found[folder] = .some(configPath)
        lock.unlock()
      }
    }
    let key = configPath ?? ""
    lock.lock()
    if let cached = cache[key] {
      lock.unlock()
      return cached
    }
    lock.unlock()
    var configuration = Configuration()
    if let configPath {
      guard let data = FileManager.default.contents(atPath: configPath) else {
        throw ConfigurationError("\(configPath): cannot read the configuration file")
      }
      try configuration.apply(configFile: Array(data), path: configPath)
      configuration.baseDirectory = (configPath as NSString).deletingLastPathComponent
    }
    try options.apply(to: &configuration)
    lock.lock()
    cache[key] = configuration
    lock.unlock()
    return configuration
  }

  static func find(from directory: String) -> String? {
    var url = URL(fileURLWithPath: directory).standardizedFileURL
    for _ in 0..<64 {
      let candidate = url.appendingPathComponent(".kubeharden.yaml").path
      if FileManager.default.fileExists(atPath: candidate) { return candidate }
      let parent = url.deletingLastPathComponent()
      if parent.path == url.path { return nil }
      url = parent
    }
    return nil
  }

  /// Whether `path` matches an `exclude` pattern of its configuration.
  static func isExcluded(_ path: String, by configuration: Configuration) -> Bool {
    guard !configuration.exclude.isEmpty else { return false }
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    var relative = absolute
    if let base = configuration.baseDirectory {
      let baseURL = URL(fileURLWithPath: base.isEmpty ? "." : base).standardizedFileURL.path
      if absolute.hasPrefix(baseURL + "/") { relative = String(absolute.dropFirst(baseURL.count + 1)) }
    }
    return configuration.exclude.contains { Glob.matches($0, relative) || Glob.matches($0, (relative as NSString).lastPathComponent) }
  }
}

/// Minimal glob matching: `*` (no `/`), `**` (any depth), `?`.
enum Glob {
  static func matches(_ pattern: String, _ path: String) -> Bool {
    match(Array(pattern.utf8)[...], Array(path.utf8)[...])
  }

  static func match(_ p: ArraySlice<UInt8>, _ s: ArraySlice<UInt8>) -> Bool {
    guard let first = p.first else { return s.isEmpty }
    if first == UInt8(ascii: "*") {
      let doubleStar = p.dropFirst().first == UInt8(ascii: "*")
      var rest = p.dropFirst(doubleStar ? 2 : 1)
      if doubleStar, rest.first == UInt8(ascii: "/") { rest = rest.dropFirst() }
      var i = s.startIndex
      while true {
        if match(rest, s[i...]) { return true }
        if doubleStar, i < s.endIndex, match(rest, s[(i)...].drop(while: { $0 != UInt8(ascii: "/") }).dropFirst()) { return true }
        guard i < s.endIndex, doubleStar || s[i] != UInt8(ascii: "/") else { return false }
        i += 1
      }
    }
    guard let c = s.first else { return false }
    if first == UInt8(ascii: "?") ? c != UInt8(ascii: "/") : first == c {
      return match(p.dropFirst(), s.dropFirst())
    }
    return false
  }
}
