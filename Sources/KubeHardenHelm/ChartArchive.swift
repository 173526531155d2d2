internal import CZlib

/// The files of a packaged chart (`charts/<name>-<version>.tgz`, what `helm package` writes): a
/// gzip-compressed tar archive whose entries sit under one folder named after the chart.
///
/// Tar layout (POSIX ustar, https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html,
/// "ustar Interchange Format"): 512-byte headers, name at offset 0 (100 bytes), size in octal at
/// 124 (12 bytes), type flag at 156 (`0` or NUL: a regular file; `5`: a folder; `x`: pax extended
/// header, whose `path=` record names the next entry; GNU `L`: the next entry's long name),
/// prefix at 345 (155 bytes, joined to the name with `/`), data padded to 512 bytes.
enum ChartArchive {
  /// Files by path inside the archive, or nil when it is not a gzip tar archive kubeharden reads.
  static func files(gzip bytes: [UInt8], limit: Int = 64 << 20) -> [String: [UInt8]]? {
    guard let tar = gunzip(bytes, limit: limit) else { return nil }
    return untar(tar)
  }

  static func gunzip(_ bytes: [UInt8], limit: Int) -> [UInt8]? {
    guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B else { return nil }
    var stream = z_stream()
    guard kubeharden_inflate_init_gzip(&stream) == Z_OK else { return nil }
    defer { inflateEnd(&stream) }
    var output: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 1 << 16)
    var input = bytes
    var status: Int32 = Z_OK
    input.withUnsafeMutableBufferPointer { source in
      stream.next_in = source.baseAddress
      stream.avail_in = UInt32(source.count)
      repeat {
        chunk.withUnsafeMutableBufferPointer { target in
          stream.next_out = target.baseAddress
          stream.avail_out = UInt32(target.count)
          status = inflate(&stream, Z_NO_FLUSH)
          output += target[0..<(target.count - Int(stream.avail_out))]
        }
      } while status == Z_OK && output.count <= limit
    }
    return status == Z_STREAM_END ? output : nil
  }

  static func untar(_ tar: [UInt8]) -> [String: [UInt8]]? {
    var files: [String: [UInt8]] = [:]
    var offset = 0
    var nextName: String?
    func field(_ start: Int, _ length: Int) -> String {
      let bytes = tar[(offset + start)..<(offset + start + length)]
      return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
    while offset + 512 <= tar.count {
      if tar[offset..<(offset + 512)].allSatisfy({ $0 == 0 }) { break }  // end of archive
      let sizeText = field(124, 12).trimmingCharacters(in: " \0")
      guard let size = Int(sizeText.isEmpty ? "0" : sizeText, radix: 8), size >= 0 else { return nil }
      let type = tar[offset + 156]
      let dataStart = offset + 512
      guard dataStart + size <= tar.count else { return nil }
      let data = Array(tar[dataStart..<(dataStart + size)])
      var name = field(0, 100)
      let prefix = field(345, 155)
      if field(257, 5) == "ustar" && !prefix.isEmpty { name = prefix + "/" + name }
      switch type {
      case UInt8(ascii: "x"):
        // Records `<length> <key>=<value>\n`: only `path` matters here.
        for record in String(decoding: data, as: UTF8.self).split(separator: "\n") {
          if let range = record.range(of: " path=") { nextName = String(record[range.upperBound...]) }
        }
      case UInt8(ascii: "L"):
        nextName = String(decoding: data.prefix { $0 != 0 }, as: UTF8.self)
      case 0, UInt8(ascii: "0"), UInt8(ascii: "7"):
        files[nextName ?? name] = data
        nextName = nil
      default:
        nextName = nil
      }
      offset = dataStart + (size + 511) / 512 * 512
    }
    return files
  }
}

extension String {
  func trimmingCharacters(in set: String) -> String {
    var s = Substring(self)
    while let f = s.first, set.contains(f) { s.removeFirst() }
    while let l = s.last, set.contains(l) { s.removeLast() }
    return String(s)
  }
}
