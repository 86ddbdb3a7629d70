using Overlay.Netlink;

namespace Overlay.Hosting.Internal;

/// <summary><see cref="OverlayAgentOptions.NetworkNamespace"/>: checking the text and opening the namespace.</summary>
internal static class NetworkNamespaceOption
{
    /// <summary>A name of a named namespace (one path segment) or an absolute path.</summary>
    public static bool IsValid(string value) =>
        value.Length > 0
        && (Path.IsPathFullyQualified(value) || (!value.Contains('/', StringComparison.Ordinal) && value is not "." and not ".." && !value.Contains('\0', StringComparison.Ordinal)));

    /// <summary>Opens the namespace the option names.</summary>
    /// <exception cref="InvalidOperationException">It cannot be opened; the message names the option and the file.</exception>
    public static NetworkNamespace Open(string value)
    {
        try
        {
            return Path.IsPathFullyQualified(value) ? NetworkNamespace.OpenPath(value) : NetworkNamespace.Open(value);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"NetworkNamespace '{value}' cannot be opened: {ex.Message}", ex);
        }
    }
}
