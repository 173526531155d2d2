// Unified diff rendering (GNU `diff -u` compatible) for one file.
//
// Lines are compared as raw bytes, including their terminating "\n" (so a
// last line without a newline differs from the same text with one, exactly
// like GNU diff). A "\r" before "\n" is ordinary line content, which makes
// CRLF files round-trip through `patch` and `git apply`.
//
// The line alignment follows GNU diffutils 3.x step by step, so the output is
// byte-identical to `diff -U<context> --label a/<path> --label b/<path>`:
// identical-ends trimming with `context` horizon lines (`find_identical_ends`),
// `discard_confusing_lines`, Myers' O(ND) algorithm with the linear-space
// middle-snake split and the TOO_EXPENSIVE cost cap (`compareseq`/`diag`), then
// `shift_boundaries`, which slides ambiguous change runs down as far as possible.
// Hunk grouping and `@@` headers follow GNU's conventions as well.

/// Renders unified diffs.
public struct UnifiedDiff {
  /// Renders a unified diff of `old` -> `new` for one file; empty string when they are equal.
  ///
  /// - Parameters:
  ///   - path: File path written into the `--- a/<path>` / `+++ b/<path>` headers
  ///     (leading `./` components are removed; a path containing a space is followed
  ///     by a tab so that GNU patch reads the whole name).
  ///   - old: Original file bytes.
  ///   - new: Modified file bytes.
  ///   - context: Number of unchanged context lines around each change (negative is treated as 0).
  ///   - color: Wrap lines in ANSI SGR escapes (bold headers, cyan hunk headers,
  ///     red removals, green additions); the reset precedes the line break.
  public static func render(
    path: String, old: [UInt8], new: [UInt8], context: Int = 3, color: Bool = false
  ) -> String {
    if old == new { return "" }
    let ctx = max(0, context)

    let oldLines = splitLines(old)
    let newLines = splitLines(new)

    // GNU diff only analyses the lines between the identical prefix and suffix,
    // keeping `context` ("horizon") lines of each; the region matters because
    // the discard statistics and boundary shifting are computed over it.
    let region = analysisRegion(old: old, new: new, horizon: ctx)

    // Intern region lines into equivalence-class ids (byte-exact comparison).
    var classes: [ArraySlice<UInt8>: Int] = [:]
    func intern(_ bytes: [UInt8], _ lines: ArraySlice<Range<Int>>) -> [Int] {
      var ids = [Int]()
      ids.reserveCapacity(lines.count)
      for r in lines {
        let slice = bytes[r]
        if let id = classes[slice] {
          ids.append(id)
        } else {
          let id = classes.count
          classes[slice] = id
          ids.append(id)
        }
      }
      return ids
    }
    let xs = intern(old, oldLines[region.start..<region.oldEnd])
    let ys = intern(new, newLines[region.start..<region.newEnd])

    var engine = DiffEngine(xs: xs, ys: ys, classCount: classes.count)
    engine.run()
    let changes = engine.changes().map {
      Change(
        a0: $0.a0 + region.start, a1: $0.a1 + region.start,
        b0: $0.b0 + region.start, b1: $0.b1 + region.start)
    }
    if changes.isEmpty { return "" }

    var writer = Writer(color: color)
    // GNU patch ends an unquoted file name at the first blank unless a tab follows
    // the name (as with GNU diff's timestamps); git apply accepts either form.
    let display = displayPath(path)
    let terminator = display.contains(" ") ? "\t" : ""
    writer.header("--- a/" + display + terminator)
    writer.header("+++ b/" + display + terminator)

    let n = oldLines.count
    let m = newLines.count
    var h = 0
    while h < changes.count {
      // Merge following changes whose context would overlap or touch.
      var last = h
      while last + 1 < changes.count,
        changes[last + 1].a0 - changes[last].a1 <= 2 * ctx
      {
        last += 1
      }
      let first = changes[h]
      let final = changes[last]
      let lead = min(ctx, first.a0, first.b0)
      let trail = min(ctx, n - final.a1, m - final.b1)
      let aStart = first.a0 - lead
      let aEnd = final.a1 + trail
      let bStart = first.b0 - lead
      let bEnd = final.b1 + trail

      writer.hunk(
        "@@ -" + range(aStart, aEnd) + " +" + range(bStart, bEnd) + " @@")

      var a = aStart
      for k in h...last {
        let c = changes[k]
        while a < c.a0 {
          writer.line(" ", old, oldLines[a], kind: .context)
          a += 1
        }
        for i in c.a0..<c.a1 { writer.line("-", old, oldLines[i], kind: .removed) }
        for j in c.b0..<c.b1 { writer.line("+", new, newLines[j], kind: .added) }
        a = c.a1
      }
      while a < aEnd {
        writer.line(" ", old, oldLines[a], kind: .context)
        a += 1
      }
      h = last + 1
    }
    return String(decoding: writer.out, as: UTF8.self)
  }

  // MARK: - Helpers

  /// Path as written after `a/` / `b/`: leading `./` components removed.
  static func displayPath(_ path: String) -> String {
    var p = Substring(path)
    while p.hasPrefix("./") {
      p = p.dropFirst(2)
      while p.hasPrefix("/") { p = p.dropFirst() }
    }
    return String(p)
  }

  /// GNU `print_unidiff_number_range`: `start,count`, `start` alone when the
  /// count is 1, and for an empty range the number of the line *before* it
  /// followed by `,0`.
  static func range(_ start: Int, _ end: Int) -> String {
    let count = end - start
    if count == 0 { return "\(start),0" }
    if count == 1 { return "\(start + 1)" }
    return "\(start + 1),\(count)"
  }

  /// Line range examined by the diff algorithm, as GNU diff's `find_identical_ends`
  /// computes it: the identical prefix and suffix are trimmed except for `horizon`
  /// lines on each side. GNU works on buffers where a missing final newline has been
  /// supplied (and remembered), and does not trim a suffix when only one side lacks it.
  static func analysisRegion(old: [UInt8], new: [UInt8], horizon: Int)
    -> (start: Int, oldEnd: Int, newEnd: Int)
  {
    let nl: UInt8 = 0x0A
    let missing0 = !old.isEmpty && old[old.count - 1] != nl
    let missing1 = !new.isEmpty && new[new.count - 1] != nl
    let n0 = old.count + (missing0 ? 1 : 0)
    let n1 = new.count + (missing1 ? 1 : 0)
    // Byte of the newline-completed buffers.
    @inline(__always) func b0(_ i: Int) -> UInt8 { i < old.count ? old[i] : nl }
    @inline(__always) func b1(_ i: Int) -> UInt8 { i < new.count ? new[i] : nl }

    // Identical prefix.
    var p = 0
    let limit = min(n0, n1)
    while p < limit && b0(p) == b1(p) { p += 1 }
    // Don't count a supplied newline as part of the prefix.
    if (n0 - (missing0 ? 1 : 0) < p) != (n1 - (missing1 ? 1 : 0) < p) { p -= 1 }
    // Back up to a line start, then `horizon` more lines.
    var hor = horizon
    while p != 0 {
      if b0(p - 1) == nl {
        if hor == 0 { break }
        hor -= 1
      }
      p -= 1
    }
    let prefixEnd = p

    // Identical suffix.
    var suffix0 = n0
    var suffix1 = n1
    if missing0 == missing1 {
      let beg0 = prefixEnd + (n0 < n1 ? 0 : n0 - n1)
      var p0 = n0
      var p1 = n1
      while p0 != beg0 {
        p0 -= 1
        p1 -= 1
        if b0(p0) != b1(p1) {
          p0 += 1
          p1 += 1
          break
        }
      }
      let atLineStart = (p0 == 0 || b0(p0 - 1) == nl) && (p1 == 0 || b1(p1 - 1) == nl)
      var i = horizon + (atLineStart ? 0 : 1)
      let base = p0
      while i > 0 && p0 != n0 {
        i -= 1
        while b0(p0) != nl { p0 += 1 }
        p0 += 1
      }
      p1 += p0 - base
      suffix0 = p0
      suffix1 = p1
    }

    func linesBefore(_ bytes: [UInt8], _ offset: Int) -> Int {
      var count = 0
      let end = min(offset, bytes.count)
      var i = 0
      while i < end {
        if bytes[i] == nl { count += 1 }
        i += 1
      }
      return count + (offset > bytes.count ? 1 : 0)
    }
    return (linesBefore(old, prefixEnd), linesBefore(old, suffix0), linesBefore(new, suffix1))
  }

  /// Splits into byte ranges, each including its terminating "\n" if any.
  static func splitLines(_ bytes: [UInt8]) -> [Range<Int>] {
    var lines: [Range<Int>] = []
    var start = 0
    var i = 0
    let count = bytes.count
    while i < count {
      if bytes[i] == 0x0A {
        lines.append(start..<(i + 1))
        start = i + 1
      }
      i += 1
    }
    if start < count { lines.append(start..<count) }
    return lines
  }
}

extension UnifiedDiff {
  // MARK: - Output

  fileprivate struct Writer {
    enum Kind { case context, removed, added }

    static let bold: [UInt8] = Array("\u{1B}[1m".utf8)
    static let cyan: [UInt8] = Array("\u{1B}[36m".utf8)
    static let red: [UInt8] = Array("\u{1B}[31m".utf8)
    static let green: [UInt8] = Array("\u{1B}[32m".utf8)
    static let reset: [UInt8] = Array("\u{1B}[0m".utf8)
    static let noNewline: [UInt8] = Array("\\ No newline at end of file\n".utf8)

    let color: Bool
    var out: [UInt8] = []

    init(color: Bool) { self.color = color }

    mutating func header(_ text: String) {
      if color { out += Writer.bold }
      out += Array(text.utf8)
      if color { out += Writer.reset }
      out.append(0x0A)
    }

    mutating func hunk(_ text: String) {
      if color { out += Writer.cyan }
      out += Array(text.utf8)
      if color { out += Writer.reset }
      out.append(0x0A)
    }

    mutating func line(_ prefix: Character, _ bytes: [UInt8], _ r: Range<Int>, kind: Kind) {
      let hasNewline = !r.isEmpty && bytes[r.upperBound - 1] == 0x0A
      let body = hasNewline ? r.lowerBound..<(r.upperBound - 1) : r
      var escape: [UInt8]? = nil
      if color {
        switch kind {
        case .context: escape = nil
        case .removed: escape = Writer.red
        case .added: escape = Writer.green
        }
      }
      if let escape { out += escape }
      out += Array(String(prefix).utf8)
      out += bytes[body]
      if escape != nil { out += Writer.reset }
      out.append(0x0A)
      if !hasNewline { out += Writer.noNewline }
    }
  }

  // MARK: - Diff engine (GNU diffutils analyze.c / gnulib diffseq.h port)

  fileprivate struct Change {
    /// Old lines `a0..<a1` are replaced by new lines `b0..<b1` (0-based).
    var a0: Int
    var a1: Int
    var b0: Int
    var b1: Int
  }

  fileprivate struct DiffEngine {
    /// Equivalence classes of the lines of each side.
    let xs: [Int]
    let ys: [Int]
    let classCount: Int
    /// Changed flags with one `false` sentinel on each side: index `i + 1` is line `i`.
    var changedX: [Bool]
    var changedY: [Bool]
    /// Lines that survive `discardConfusingLines`, and their real indexes.
    private var xv: [Int] = []
    private var yv: [Int] = []
    private var xReal: [Int] = []
    private var yReal: [Int] = []
    private var fd: [Int] = []
    private var bd: [Int] = []
    private var diagOffset = 0
    private var tooExpensive = 4096

    init(xs: [Int], ys: [Int], classCount: Int) {
      self.xs = xs
      self.ys = ys
      self.classCount = classCount
      changedX = [Bool](repeating: false, count: xs.count + 2)
      changedY = [Bool](repeating: false, count: ys.count + 2)
    }

    mutating func run() {
      discardConfusingLines()
      let diags = xv.count + yv.count + 3
      fd = [Int](repeating: 0, count: diags)
      bd = [Int](repeating: 0, count: diags)
      diagOffset = yv.count + 1
      var te = 1
      var d = diags
      while d != 0 {
        d >>= 2
        te <<= 1
      }
      tooExpensive = max(4096, te)
      compareseq(0, xv.count, 0, yv.count, minimal: false)
      shiftBoundaries(changed: &changedX, other: changedY, equivs: xs)
      shiftBoundaries(changed: &changedY, other: changedX, equivs: ys)
    }

    /// Change groups in order, derived from the changed flags.
    func changes() -> [Change] {
      var result: [Change] = []
      let n = xs.count
      let m = ys.count
      var i = 0
      var j = 0
      while i < n || j < m {
        let cx = i < n && changedX[i + 1]
        let cy = j < m && changedY[j + 1]
        if !cx && !cy {
          i += 1
          j += 1
          continue
        }
        let a0 = i
        let b0 = j
        while i < n && changedX[i + 1] { i += 1 }
        while j < m && changedY[j + 1] { j += 1 }
        result.append(Change(a0: a0, a1: i, b0: b0, b1: j))
      }
      return result
    }

    /// GNU `discard_confusing_lines`: lines with no match on the other side are
    /// changes outright and are left out of the Myers search; lines with very
    /// many matches are left out too when they sit inside a run of such lines.
    private mutating func discardConfusingLines() {
      var count0 = [Int](repeating: 0, count: classCount)
      var count1 = [Int](repeating: 0, count: classCount)
      for e in xs { count0[e] += 1 }
      for e in ys { count1[e] += 1 }
      var discards0 = DiffEngine.provisionalDiscards(xs, otherCounts: count1)
      var discards1 = DiffEngine.provisionalDiscards(ys, otherCounts: count0)
      DiffEngine.refineDiscards(&discards0)
      DiffEngine.refineDiscards(&discards1)
      for i in 0..<xs.count {
        if discards0[i] == 0 {
          xv.append(xs[i])
          xReal.append(i)
        } else {
          changedX[i + 1] = true
        }
      }
      for i in 0..<ys.count {
        if discards1[i] == 0 {
          yv.append(ys[i])
          yReal.append(i)
        } else {
          changedY[i + 1] = true
        }
      }
    }

    private static func provisionalDiscards(_ equivs: [Int], otherCounts: [Int]) -> [UInt8] {
      let end = equivs.count
      var discards = [UInt8](repeating: 0, count: end)
      var many = 5
      var tem = end / 64
      while true {
        tem >>= 2
        if tem <= 0 { break }
        many *= 2
      }
      for i in 0..<end {
        let nmatch = otherCounts[equivs[i]]
        if nmatch == 0 {
          discards[i] = 1
        } else if nmatch > many {
          discards[i] = 2
        }
      }
      return discards
    }

    private static func refineDiscards(_ discards: inout [UInt8]) {
      let end = discards.count
      var i = 0
      while i < end {
        if discards[i] == 2 {
          // Cancel provisional discards not in the middle of a run of discards.
          discards[i] = 0
        } else if discards[i] != 0 {
          // A nonprovisional discard: find the end of this run of discardable lines.
          var j = i
          var provisional = 0
          while j < end {
            if discards[j] == 0 { break }
            if discards[j] == 2 { provisional += 1 }
            j += 1
          }
          // Cancel provisional discards at the end, and shrink the run.
          while j > i && discards[j - 1] == 2 {
            j -= 1
            discards[j] = 0
            provisional -= 1
          }
          let length = j - i
          if provisional * 4 > length {
            // A quarter or more provisional: cancel them all.
            while j > i {
              j -= 1
              if discards[j] == 2 { discards[j] = 0 }
            }
          } else {
            var minimum = 1
            var tem = length >> 2
            while true {
              tem >>= 2
              if tem <= 0 { break }
              minimum <<= 1
            }
            minimum += 1
            // Cancel any subrun of `minimum` or more provisionals within the run.
            var consec = 0
            j = 0
            while j < length {
              if discards[i + j] != 2 {
                consec = 0
              } else {
                consec += 1
                if minimum == consec {
                  j -= consec  // back up to the start of the subrun to cancel it all
                } else if minimum < consec {
                  discards[i + j] = 0
                }
              }
              j += 1
            }
            // From the start of the run, cancel provisionals until 3 nonprovisionals
            // in a row, or the first nonprovisional at least 8 lines in.
            consec = 0
            j = 0
            while j < length {
              if j >= 8 && discards[i + j] == 1 { break }
              if discards[i + j] == 2 {
                consec = 0
                discards[i + j] = 0
              } else if discards[i + j] == 0 {
                consec = 0
              } else {
                consec += 1
              }
              if consec == 3 { break }
              j += 1
            }
            // Same thing from the end.
            i += length - 1
            consec = 0
            j = 0
            while j < length {
              if j >= 8 && discards[i - j] == 1 { break }
              if discards[i - j] == 2 {
                consec = 0
                discards[i - j] = 0
              } else if discards[i - j] == 0 {
                consec = 0
              } else {
                consec += 1
              }
              if consec == 3 { break }
              j += 1
            }
          }
        }
        i += 1
      }
    }

    private mutating func compareseq(_ xoff0: Int, _ xlim0: Int, _ yoff0: Int, _ ylim0: Int, minimal: Bool) {
      var xoff = xoff0
      var xlim = xlim0
      var yoff = yoff0
      var ylim = ylim0
      while xoff < xlim && yoff < ylim && xv[xoff] == yv[yoff] {
        xoff += 1
        yoff += 1
      }
      while xlim > xoff && ylim > yoff && xv[xlim - 1] == yv[ylim - 1] {
        xlim -= 1
        ylim -= 1
      }
      if xoff == xlim {
        for y in yoff..<ylim { changedY[yReal[y] + 1] = true }
      } else if yoff == ylim {
        for x in xoff..<xlim { changedX[xReal[x] + 1] = true }
      } else {
        let part = diag(xoff, xlim, yoff, ylim, minimal: minimal)
        if (part.x == xoff && part.y == yoff) || (part.x == xlim && part.y == ylim) {
          // Cannot happen for a correct split; be safe rather than recurse forever.
          for x in xoff..<xlim { changedX[xReal[x] + 1] = true }
          for y in yoff..<ylim { changedY[yReal[y] + 1] = true }
          return
        }
        compareseq(xoff, part.x, yoff, part.y, minimal: part.loMinimal)
        compareseq(part.x, xlim, part.y, ylim, minimal: part.hiMinimal)
      }
    }

    private struct Partition {
      var x: Int
      var y: Int
      var loMinimal: Bool
      var hiMinimal: Bool
    }

    private mutating func diag(_ xoff: Int, _ xlim: Int, _ yoff: Int, _ ylim: Int, minimal: Bool)
      -> Partition
    {
      let o = diagOffset
      let dmin = xoff - ylim
      let dmax = xlim - yoff
      let fmid = xoff - yoff
      let bmid = xlim - ylim
      var fmin = fmid
      var fmax = fmid
      var bmin = bmid
      var bmax = bmid
      let odd = (fmid - bmid) & 1 != 0
      fd[fmid + o] = xoff
      bd[bmid + o] = xlim

      var c = 1
      while true {
        // Extend the top-down search by an edit step in each diagonal.
        if fmin > dmin {
          fmin -= 1
          fd[fmin - 1 + o] = -1
        } else {
          fmin += 1
        }
        if fmax < dmax {
          fmax += 1
          fd[fmax + 1 + o] = -1
        } else {
          fmax -= 1
        }
        var d = fmax
        while d >= fmin {
          let tlo = fd[d - 1 + o]
          let thi = fd[d + 1 + o]
          var x = tlo >= thi ? tlo + 1 : thi
          var y = x - d
          while x < xlim && y < ylim && xv[x] == yv[y] {
            x += 1
            y += 1
          }
          fd[d + o] = x
          if odd && bmin <= d && d <= bmax && bd[d + o] <= x {
            return Partition(x: x, y: y, loMinimal: true, hiMinimal: true)
          }
          d -= 2
        }

        // Similarly extend the bottom-up search.
        if bmin > dmin {
          bmin -= 1
          bd[bmin - 1 + o] = Int.max
        } else {
          bmin += 1
        }
        if bmax < dmax {
          bmax += 1
          bd[bmax + 1 + o] = Int.max
        } else {
          bmax -= 1
        }
        d = bmax
        while d >= bmin {
          let tlo = bd[d - 1 + o]
          let thi = bd[d + 1 + o]
          var x = tlo < thi ? tlo : thi - 1
          var y = x - d
          while x > xoff && y > yoff && xv[x - 1] == yv[y - 1] {
            x -= 1
            y -= 1
          }
          bd[d + o] = x
          if !odd && fmin <= d && d <= fmax && x <= fd[d + o] {
            return Partition(x: x, y: y, loMinimal: true, hiMinimal: true)
          }
          d -= 2
        }

        if !minimal && c >= tooExpensive {
          // Give up and report the better of the furthest-reaching diagonals.
          var fxybest = -1
          var fxbest = 0
          d = fmax
          while d >= fmin {
            var x = min(fd[d + o], xlim)
            var y = x - d
            if ylim < y {
              x = ylim + d
              y = ylim
            }
            if fxybest < x + y {
              fxybest = x + y
              fxbest = x
            }
            d -= 2
          }
          var bxybest = Int.max
          var bxbest = 0
          d = bmax
          while d >= bmin {
            var x = max(xoff, bd[d + o])
            var y = x - d
            if y < yoff {
              x = yoff + d
              y = yoff
            }
            if x + y < bxybest {
              bxybest = x + y
              bxbest = x
            }
            d -= 2
          }
          if (xlim + ylim) - bxybest < fxybest - (xoff + yoff) {
            return Partition(x: fxbest, y: fxybest - fxbest, loMinimal: true, hiMinimal: false)
          } else {
            return Partition(x: bxbest, y: bxybest - bxbest, loMinimal: false, hiMinimal: true)
          }
        }
        c += 1
      }
    }

    /// GNU `shift_boundaries`: slide each run of changes up to merge with
    /// earlier runs, then down as far as possible, then back up to line up with
    /// a run of changes in the other file if there is one. Arrays carry one
    /// `false` sentinel at each end (index `k + 1` is line `k`).
    private func shiftBoundaries(changed: inout [Bool], other: [Bool], equivs: [Int]) {
      // Indices below are line numbers; flags are accessed at +1.
      let iEnd = equivs.count
      var i = 0
      var j = 0
      while true {
        while i < iEnd && !changed[i + 1] {
          while other[j + 1] { j += 1 }
          j += 1
          i += 1
        }
        if i == iEnd { break }
        var start = i
        i += 1
        while changed[i + 1] { i += 1 }
        while other[j + 1] { j += 1 }

        var corresponding: Int
        var runlength: Int
        repeat {
          runlength = i - start
          while start > 0 && equivs[start - 1] == equivs[i - 1] {
            start -= 1
            changed[start + 1] = true
            i -= 1
            changed[i + 1] = false
            while changed[start - 1 + 1] { start -= 1 }
            j -= 1
            while other[j + 1] { j -= 1 }
          }
          corresponding = other[j - 1 + 1] ? i : iEnd
          while i != iEnd && equivs[start] == equivs[i] {
            changed[start + 1] = false
            start += 1
            changed[i + 1] = true
            i += 1
            while changed[i + 1] { i += 1 }
            j += 1
            while other[j + 1] {
              j += 1
              corresponding = i
            }
          }
        } while runlength != i - start

        while corresponding < i {
          start -= 1
          changed[start + 1] = true
          i -= 1
          changed[i + 1] = false
          j -= 1
          while other[j + 1] { j -= 1 }
        }
      }
    }
  }
}
