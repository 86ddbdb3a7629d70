using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Overlay.Subnets.Internal;

namespace Overlay.Subnets;

/// <summary>
/// flannel's subnet key: the last path element of <c>&lt;prefix&gt;/subnets/&lt;key&gt;</c> in etcd.
/// IPv4 <c>10.5.34.0-24</c>; dual stack <c>10.12.13.0-24&amp;fd00:12:13::-56</c>; IPv6 only
/// <c>0.0.0.0-0&amp;fd00::-64</c>. Parsing accepts exactly what flanneld accepts (IPv4 prefix 0–31,
/// IPv6 prefix 0–127, lower-case IPv6, the match anchored at the end only, so a whole etcd key
/// parses); formatting writes IPv6 in RFC 5952 form, as Go prints it.
/// </summary>
public static partial class SubnetKey
{
    /// <summary>Formats the key for a lease's subnets.</summary>
    /// <exception cref="ArgumentException">Both subnets are absent, a subnet has the wrong family,
    /// or it could not be read back by flanneld (IPv4 /32, IPv6 /128, or an IPv6 network that
    /// flannel prints in dotted form).</exception>
    public static string Format(IPNetwork? subnet, IPNetwork? ipv6Subnet)
    {
        if (subnet is null && ipv6Subnet is null)
        {
            throw new ArgumentException("A subnet key needs an IPv4 or an IPv6 subnet.", nameof(subnet));
        }

        string v4;
        if (subnet is { } s4)
        {
            if (s4.BaseAddress.AddressFamily != AddressFamily.InterNetwork)
            {
                throw new ArgumentException($"'{s4}' is not an IPv4 subnet.", nameof(subnet));
            }

            if (s4.PrefixLength > 31)
            {
                throw new ArgumentException($"'{s4}': flanneld cannot read subnet keys with an IPv4 prefix longer than 31.", nameof(subnet));
            }

            v4 = s4.BaseAddress + "-" + s4.PrefixLength.ToString(CultureInfo.InvariantCulture);
        }
        else
        {
            v4 = "0.0.0.0-0";
        }

        if (ipv6Subnet is not { } s6)
        {
            return v4;
        }

        if (s6.BaseAddress.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"'{s6}' is not an IPv6 subnet.", nameof(ipv6Subnet));
        }

        if (s6.PrefixLength > 127 || IPAddressText.IsPrintedDottedByFlannel(s6.BaseAddress))
        {
            throw new ArgumentException($"'{s6}': flanneld cannot read this IPv6 subnet in a subnet key.", nameof(ipv6Subnet));
        }

        return v4 + "&" + IPAddressText.Format(s6.BaseAddress) + "-" + s6.PrefixLength.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>Formats the key of a lease.</summary>
    public static string Format(Lease lease)
    {
        ArgumentNullException.ThrowIfNull(lease);
        return Format(lease.Subnet, lease.IPv6Subnet);
    }

    /// <summary>
    /// Parses a subnet key, or a whole etcd key ending in one. Returns <see langword="false"/> for
    /// text that flanneld would not read as a subnet key, and (a deliberate deviation) for keys whose
    /// subnets have host bits set, which flanneld never writes.
    /// </summary>
    public static bool TryParse(string? text, out IPNetwork? subnet, out IPNetwork? ipv6Subnet)
    {
        subnet = null;
        ipv6Subnet = null;
        if (text is null)
        {
            return false;
        }

        Match match = KeyPattern().Match(text);
        if (!match.Success)
        {
            return false;
        }

        if (!IPAddressText.TryParseIPv4(match.Groups[1].ValueSpan, out IPAddress? v4)
            || !IPAddressText.TryParseDecimal(match.Groups[2].ValueSpan, 31, out int v4Prefix)
            || !TryMakeNetwork(v4, v4Prefix, out IPNetwork v4Network))
        {
            return false;
        }

        IPNetwork? v6Network = null;
        if (match.Groups[3].Success)
        {
            if (!IPAddressText.TryParseIPv6(match.Groups[3].ValueSpan, out IPAddress? v6)
                || !IPAddressText.TryParseDecimal(match.Groups[4].ValueSpan, 127, out int v6Prefix)
                || !TryMakeNetwork(v6, v6Prefix, out IPNetwork n6))
            {
                return false;
            }

            v6Network = n6;
        }

        bool ipv6Only = v6Network is not null && v4Prefix == 0 && v4.Equals(IPAddress.Any);
        subnet = ipv6Only ? null : v4Network;
        ipv6Subnet = v6Network;
        return true;
    }

    /// <summary>Parses a subnet key.</summary>
    /// <exception cref="FormatException">The text is not a subnet key.</exception>
    public static (IPNetwork? Subnet, IPNetwork? IPv6Subnet) Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text, out IPNetwork? subnet, out IPNetwork? ipv6Subnet)
            ? (subnet, ipv6Subnet)
            : throw new FormatException($"'{text}' is not a subnet key (expected a.b.c.d-len or a.b.c.d-len&ipv6-len).");
    }

    private static bool TryMakeNetwork(IPAddress address, int prefix, [NotNullWhen(true)] out IPNetwork network)
    {
        network = default;
        if (!AddressMath.MaskAddress(address, prefix).Equals(address))
        {
            return false;
        }

        network = new IPNetwork(address, prefix);
        return true;
    }

    // flannel: (\d+\.\d+.\d+.\d+)-(\d+)(?:&([a-f\d:]+)-(\d+))?$ with Go semantics: ASCII digits,
    // '$' = end of text. The two unescaped dots are reproduced; the IPv4 parser then rejects
    // anything that is not a dotted quad.
    [GeneratedRegex(@"([0-9]+\.[0-9]+.[0-9]+.[0-9]+)-([0-9]+)(?:&([a-f0-9:]+)-([0-9]+))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex KeyPattern();
}
