using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets;

/// <summary>
/// Reads and writes flannel's <c>subnet.env</c>: <c>KEY=value</c> lines in
/// flannel's order, written atomically (temporary file in the same directory, then rename) with mode
/// 0644 and parent directories 0755.
/// </summary>
public static class SubnetEnvFile
{
    /// <summary>flanneld's default path.</summary>
    public const string DefaultPath = "/run/flannel/subnet.env";

    /// <summary>Formats the file's content exactly as flanneld writes it.</summary>
    public static string Format(SubnetEnv env)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentOutOfRangeException.ThrowIfNegative(env.Mtu, nameof(env));
        var sb = new StringBuilder();
        if (env.Network is { } network)
        {
            sb.Append("FLANNEL_NETWORK=").Append(IPAddressText.Format(network)).Append('\n');
        }

        if (env.Subnet is { } subnet)
        {
            sb.Append("FLANNEL_SUBNET=").Append(FirstHost(subnet)).Append('\n');
        }

        if (env.IPv6Network is { } ipv6Network)
        {
            sb.Append("FLANNEL_IPV6_NETWORK=").Append(IPAddressText.Format(ipv6Network)).Append('\n');
        }

        if (env.IPv6Subnet is { } ipv6Subnet)
        {
            sb.Append("FLANNEL_IPV6_SUBNET=").Append(FirstHost(ipv6Subnet)).Append('\n');
        }

        sb.Append("FLANNEL_MTU=").Append(env.Mtu.ToString(CultureInfo.InvariantCulture)).Append('\n');
        sb.Append("FLANNEL_IPMASQ=").Append(env.IPMasq ? "true" : "false").Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes the file atomically: a reader sees the old content or the new, never a mix.</summary>
    public static async Task WriteAsync(string path, SubnetEnv env, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string content = Format(env);
        string fullPath = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(fullPath)!;
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        }

        string temp = Path.Combine(directory, "." + Path.GetFileName(fullPath) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Options = FileOptions.Asynchronous };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
            }

            var stream = new FileStream(temp, options);
            await using (stream.ConfigureAwait(false))
            {
                await stream.WriteAsync(Encoding.ASCII.GetBytes(content), cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                // 0644 regardless of umask, as flanneld does.
                File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
            }

            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Reads the file's variables with dotenv rules (comments, <c>export</c>, quotes).
    /// A missing file gives an empty dictionary.</summary>
    public static IReadOnlyDictionary<string, string> ReadVariables(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return File.Exists(path) ? ParseVariables(File.ReadAllText(path)) : new Dictionary<string, string>(StringComparer.Ordinal);
    }

    /// <summary>Parses dotenv text: <c>KEY=value</c> or <c>KEY: value</c>, optional <c>export</c>,
    /// <c>#</c> comments, single or double quotes; the last of duplicate keys wins.</summary>
    public static IReadOnlyDictionary<string, string> ParseVariables(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string rawLine in content.Split('\n'))
        {
            string line = rawLine.TrimEnd('\r').Trim();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line[7..].TrimStart();
            }

            int separator = line.IndexOfAny(['=', ':']);
            if (separator <= 0)
            {
                continue;
            }

            string key = line[..separator].Trim();
            string value = line[(separator + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value.IndexOf(value[0], 1) is int close and > 0)
            {
                value = value[1..close];
            }
            else
            {
                int comment = value.IndexOf(" #", StringComparison.Ordinal);
                if (comment >= 0)
                {
                    value = value[..comment].TrimEnd();
                }
            }

            variables[key] = value;
        }

        return variables;
    }

    /// <summary>
    /// Splits a value on <c>,</c> and parses each piece as a CIDR masked to its network
    /// (<c>10.5.52.1/24</c> gives 10.5.52.0/24); invalid pieces are skipped.
    /// </summary>
    public static IReadOnlyList<IPNetwork> ParseNetworks(string? value, AddressFamily family)
    {
        var result = new List<IPNetwork>();
        if (string.IsNullOrEmpty(value))
        {
            return result;
        }

        foreach (string piece in value.Split(','))
        {
            if (IPAddressText.TryParseCidr(piece.Trim(), family, out IPNetwork network))
            {
                result.Add(network);
            }
        }

        return result;
    }

    /// <summary>
    /// Reads the subnets a previous run leased (<c>FLANNEL_SUBNET</c>, <c>FLANNEL_IPV6_SUBNET</c>),
    /// each used only when exactly one valid network remains (flannel's rule). A missing file gives
    /// no subnets.
    /// </summary>
    public static (IPNetwork? Subnet, IPNetwork? IPv6Subnet) ReadPreviousSubnets(string path)
    {
        IReadOnlyDictionary<string, string> variables = ReadVariables(path);
        return (Single(variables, "FLANNEL_SUBNET", AddressFamily.InterNetwork), Single(variables, "FLANNEL_IPV6_SUBNET", AddressFamily.InterNetworkV6));
    }

    /// <summary>Reads the networks and subnets recorded by a previous run, every valid value kept
    /// (used to recycle masquerade rules).</summary>
    public static SubnetEnvNetworks ReadPreviousNetworks(string path)
    {
        IReadOnlyDictionary<string, string> v = ReadVariables(path);
        return new SubnetEnvNetworks(
            ParseNetworks(v.GetValueOrDefault("FLANNEL_NETWORK"), AddressFamily.InterNetwork),
            ParseNetworks(v.GetValueOrDefault("FLANNEL_SUBNET"), AddressFamily.InterNetwork),
            ParseNetworks(v.GetValueOrDefault("FLANNEL_IPV6_NETWORK"), AddressFamily.InterNetworkV6),
            ParseNetworks(v.GetValueOrDefault("FLANNEL_IPV6_SUBNET"), AddressFamily.InterNetworkV6));
    }

    private static IPNetwork? Single(IReadOnlyDictionary<string, string> variables, string name, AddressFamily family)
    {
        IReadOnlyList<IPNetwork> networks = ParseNetworks(variables.GetValueOrDefault(name), family);
        return networks.Count == 1 ? networks[0] : null;
    }

    private static string FirstHost(IPNetwork subnet)
    {
        UInt128 first = AddressMath.ToUInt128(subnet.BaseAddress) + 1;
        return IPAddressText.Format(AddressMath.ToAddress(first, subnet.BaseAddress.AddressFamily)) + "/" + subnet.PrefixLength.ToString(CultureInfo.InvariantCulture);
    }
}
