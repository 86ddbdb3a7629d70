namespace Overlay.Netlink;

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
