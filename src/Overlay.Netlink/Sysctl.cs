using System.Globalization;

namespace Overlay.Netlink;

/// <summary>
/// Reads and writes sysctls through <c>/proc/sys</c>. Network sysctls are per namespace: pass a
/// <see cref="NetworkNamespace"/> to access another namespace's values (the file is opened on a
/// thread inside it).
/// </summary>
public static class Sysctl
{
    /// <summary>The path under /proc/sys for a key: dotted (<c>net.ipv4.ip_forward</c>) or slashed
    /// (<c>net/ipv6/conf/flannel.1/accept_ra</c>, needed when an interface name contains dots).</summary>
    /// <param name="key">The key.</param>
    /// <returns>The path.</returns>
    public static string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Contains("..", StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid sysctl key '{key}'.", nameof(key));
        }

        string relative = key.Contains('/', StringComparison.Ordinal) ? key.TrimStart('/') : key.Replace('.', '/');
        return "/proc/sys/" + relative;
    }

    /// <summary>Reads a sysctl (trailing newline removed).</summary>
    /// <param name="key">The key.</param>
    /// <param name="networkNamespace">The namespace, or null for the calling thread's.</param>
    /// <returns>The value.</returns>
    public static string Read(string key, NetworkNamespace? networkNamespace = null)
    {
        string path = PathOf(key);
        return networkNamespace is null ? ReadFile(path) : networkNamespace.Run(() => ReadFile(path));
    }

    /// <summary>Writes a sysctl.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="networkNamespace">The namespace, or null for the calling thread's.</param>
    public static void Write(string key, string value, NetworkNamespace? networkNamespace = null)
    {
        ArgumentNullException.ThrowIfNull(value);
        string path = PathOf(key);
        if (networkNamespace is null)
        {
            File.WriteAllText(path, value);
        }
        else
        {
            networkNamespace.Run(() => File.WriteAllText(path, value));
        }
    }

    /// <summary>Writes an integer sysctl.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <param name="networkNamespace">The namespace, or null for the calling thread's.</param>
    public static void Write(string key, long value, NetworkNamespace? networkNamespace = null) =>
        Write(key, value.ToString(CultureInfo.InvariantCulture), networkNamespace);

    private static string ReadFile(string path) => File.ReadAllText(path).TrimEnd('\n');
}
