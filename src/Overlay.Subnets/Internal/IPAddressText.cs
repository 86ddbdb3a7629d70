using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Overlay.Subnets.Internal;

/// <summary>
/// Address parsing and formatting with Go's rules (flannel's wire format), independent of the
/// leniency of <see cref="IPAddress.Parse(string)"/> (which accepts "10", octal "010.1.2.3",
/// scope ids and brackets) and of the BCL's IPv6 printer.
/// </summary>
internal static class IPAddressText
{
    /// <summary>Parses a dotted-quad IPv4 address as Go's <c>net.ParseIP</c> does: four decimal
    /// groups 0–255, no leading zeros, nothing else.</summary>
    public static bool TryParseIPv4(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        Span<byte> bytes = stackalloc byte[4];
        int part = 0;
        int i = 0;
        while (part < 4)
        {
            int start = i;
            int value = 0;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                value = (value * 10) + (text[i] - '0');
                if (value > 255)
                {
                    return false;
                }

                i++;
            }

            int digits = i - start;
            if (digits == 0 || (digits > 1 && text[start] == '0'))
            {
                return false;
            }

            bytes[part++] = (byte)value;
            if (part < 4)
            {
                if (i >= text.Length || text[i] != '.')
                {
                    return false;
                }

                i++;
            }
        }

        if (i != text.Length)
        {
            return false;
        }

        address = new IPAddress(bytes);
        return true;
    }

    /// <summary>Parses an IPv6 address in text form (no zone, no brackets). IPv4-embedded forms
    /// such as <c>::ffff:1.2.3.4</c> are accepted, as Go accepts them.</summary>
    public static bool TryParseIPv6(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPAddress? address)
    {
        address = null;
        if (text.IsEmpty || text.IndexOfAny('%', '[', ']') >= 0 || text.IndexOf(':') < 0)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!(char.IsAsciiHexDigit(c) || c == ':' || c == '.'))
            {
                return false;
            }
        }

        if (!IPAddress.TryParse(text, out IPAddress? parsed) || parsed.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = parsed;
        return true;
    }

    /// <summary>Parses either family with Go's <c>net.ParseIP</c> acceptance rules.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out IPAddress? address) =>
        text.Contains('.') && !text.Contains(':') ? TryParseIPv4(text, out address) : TryParseIPv6(text, out address);

    /// <summary>Formats an address as Go's <c>net.IP.String()</c> does for a plain IPv6 address
    /// (RFC 5952: lower-case hex, no leading zeros, the longest run of two or more zero groups
    /// compressed, leftmost on ties). Dotted forms are never produced for IPv6.</summary>
    public static string Format(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return address.ToString();
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        Span<ushort> groups = stackalloc ushort[8];
        for (int g = 0; g < 8; g++)
        {
            groups[g] = (ushort)((bytes[2 * g] << 8) | bytes[(2 * g) + 1]);
        }

        int bestStart = -1, bestLength = 0;
        for (int g = 0; g < 8;)
        {
            if (groups[g] != 0)
            {
                g++;
                continue;
            }

            int start = g;
            while (g < 8 && groups[g] == 0)
            {
                g++;
            }

            if (g - start > bestLength)
            {
                bestStart = start;
                bestLength = g - start;
            }
        }

        if (bestLength < 2)
        {
            bestStart = -1;
        }

        var sb = new StringBuilder(39);
        for (int g = 0; g < 8; g++)
        {
            if (g == bestStart)
            {
                sb.Append("::");
                g += bestLength - 1;
                continue;
            }

            if (sb.Length > 0 && sb[^1] != ':')
            {
                sb.Append(':');
            }

            sb.Append(groups[g].ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    /// <summary>True for an IPv6 address that flannel's own printer would render as dotted IPv4
    /// (IPv4-mapped, or an integer value of exactly four significant bytes; spec Q25). Such
    /// addresses cannot appear in a subnet key that re-parses.</summary>
    public static bool IsPrintedDottedByFlannel(IPAddress address)
    {
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return true;
        }

        UInt128 value = AddressMath.ToUInt128(address);
        return value >= 0x0100_0000 && value <= 0xFFFF_FFFF;
    }

    /// <summary>Parses CIDR text as Go's <c>net.ParseCIDR</c> and masks the host bits
    /// (<c>10.3.1.5/16</c> gives <c>10.3.0.0/16</c>). The family must match
    /// <paramref name="family"/>.</summary>
    public static bool TryParseCidr(ReadOnlySpan<char> text, AddressFamily family, out IPNetwork network)
    {
        network = default;
        int slash = text.IndexOf('/');
        if (slash < 0)
        {
            return false;
        }

        IPAddress? address;
        bool parsed = family == AddressFamily.InterNetwork
            ? TryParseIPv4(text[..slash], out address)
            : TryParseIPv6(text[..slash], out address);
        if (!parsed || !TryParseDecimal(text[(slash + 1)..], AddressMath.BitCount(family), out int prefix))
        {
            return false;
        }

        network = new IPNetwork(AddressMath.MaskAddress(address!, prefix), prefix);
        return true;
    }

    /// <summary>Parses an unsigned decimal (leading zeros allowed, as Go's parsers allow them)
    /// no greater than <paramref name="max"/>.</summary>
    public static bool TryParseDecimal(ReadOnlySpan<char> text, int max, out int value)
    {
        value = 0;
        if (text.IsEmpty)
        {
            return false;
        }

        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            value = (value * 10) + (c - '0');
            if (value > max)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Formats a network as <c>address/prefix</c> with <see cref="Format(IPAddress)"/>.</summary>
    public static string Format(IPNetwork network) =>
        Format(network.BaseAddress) + "/" + network.PrefixLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
