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

/// <summary>Facts about the running kernel.</summary>
public static class KernelInfo
{
    /// <summary>The release string (<c>/proc/sys/kernel/osrelease</c>), e.g. <c>6.18.44-fc</c>.</summary>
    public static string Release => File.ReadAllText("/proc/sys/kernel/osrelease").Trim();

    /// <summary>The numeric part of the release (major.minor.patch).</summary>
    public static Version Version => ParseVersion(Release);

    /// <summary>Parses the leading <c>major.minor[.patch]</c> of a kernel release string.</summary>
    /// <param name="release">The release string.</param>
    /// <returns>The version.</returns>
    public static Version ParseVersion(string release)
    {
        ArgumentNullException.ThrowIfNull(release);
        int[] parts = [0, 0, 0];
        int part = 0;
        foreach (char c in release)
        {
            if (char.IsAsciiDigit(c))
            {
                parts[part] = (parts[part] * 10) + (c - '0');
            }
            else if (c == '.' && part < 2)
            {
                part++;
            }
            else
            {
                break;
            }
        }

        return new Version(parts[0], parts[1], parts[2]);
    }

    /// <summary>True when a kernel module is loaded or built in (<c>/sys/module/NAME</c>).</summary>
    /// <param name="name">The module name.</param>
    /// <returns>True when present.</returns>
    public static bool IsModuleAvailable(string name) => Directory.Exists("/sys/module/" + name);
}
