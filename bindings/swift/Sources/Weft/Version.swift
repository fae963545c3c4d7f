internal import CWeft

/// The libweft this process loaded, and the header this binding was built
/// against.
public enum WeftLibrary {
    /// The run-time version, `"MAJOR.MINOR.PATCH"` (`weft_version_string`).
    public static var version: String { String(cString: weft_version_string()) }

    /// The run-time version as `MAJOR * 10000 + MINOR * 100 + PATCH`
    /// (`weft_version_number`).
    public static var versionNumber: UInt32 { weft_version_number() }

    /// `WEFT_VERSION_NUMBER` of the `weft.h` this binding was compiled with.
    public static var headerVersionNumber: UInt32 { UInt32(WEFT_VERSION_NUMBER) }

    /// Whether the loaded library serves this binding: the same major
    /// version as the header, and not older than it (a minor release only
    /// adds symbols, so an older library may lack some this binding uses).
    public static var isCompatible: Bool { compatibilityError == nil }
}

/// The outcome of comparing the header and the loaded library, computed at
/// first use (a global `let` is initialized once, thread-safely).
private let compatibilityError: WeftError? = {
    let runtime = WeftLibrary.versionNumber
    let header = WeftLibrary.headerVersionNumber
    if runtime / 10000 == header / 10000 && runtime >= header { return nil }
    return WeftError(code: .unsupportedVersion,
                     message: "libweft \(WeftLibrary.version) (\(runtime)) is loaded, but this binding "
                         + "was built against weft.h \(header): same major and not older required")
}()

/// Throws `unsupportedVersion` if the loaded libweft does not match the
/// header. Every entry point that creates a handle calls it first.
func checkLibraryVersion() throws {
    if let compatibilityError { throw compatibilityError }
}
