using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net.NetworkInformation;

namespace Overlay.Netlink;

/// <summary>A 48-bit Ethernet MAC address stored in a value (no allocation when written to a message).</summary>
public readonly struct MacAddress : IEquatable<MacAddress>, ISpanFormattable, IParsable<MacAddress>
{
    /// <summary>The length of a MAC address in bytes.</summary>
    public const int Length = 6;

    private readonly ulong _value;

    /// <summary>Creates an address from 6 bytes.</summary>
    /// <param name="bytes">Exactly 6 bytes, most significant first.</param>
    public MacAddress(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Length)
        {
            throw new ArgumentException("A MAC address has 6 bytes.", nameof(bytes));
        }

        ulong value = 0;
        foreach (byte b in bytes)
        {
            value = (value << 8) | b;
        }

        _value = value;
    }

    private MacAddress(ulong value) => _value = value & 0xFFFF_FFFF_FFFFUL;

    /// <summary>The address as a 48-bit integer (first byte most significant).</summary>
    public ulong Value => _value;

    /// <summary>Creates an address from a 48-bit integer.</summary>
    /// <param name="value">The value; bits above 48 are ignored.</param>
    /// <returns>The address.</returns>
    public static MacAddress FromUInt64(ulong value) => new(value);

    /// <summary>Converts from <see cref="PhysicalAddress"/>.</summary>
    /// <param name="address">A 6-byte address.</param>
    /// <returns>The address.</returns>
    public static MacAddress FromPhysicalAddress(PhysicalAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return new MacAddress(address.GetAddressBytes());
    }

    /// <summary>Converts to <see cref="PhysicalAddress"/>.</summary>
    /// <returns>A new <see cref="PhysicalAddress"/>.</returns>
    public PhysicalAddress ToPhysicalAddress()
    {
        byte[] bytes = new byte[Length];
        WriteTo(bytes);
        return new PhysicalAddress(bytes);
    }

    /// <summary>Writes the 6 bytes to <paramref name="destination"/>.</summary>
    /// <param name="destination">At least 6 bytes.</param>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < Length)
        {
            throw new ArgumentException("Destination too small.", nameof(destination));
        }

        for (int i = 0; i < Length; i++)
        {
            destination[i] = (byte)(_value >> (8 * (Length - 1 - i)));
        }
    }

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c> (or with dashes).</summary>
    /// <param name="s">The text.</param>
    /// <param name="provider">Ignored.</param>
    /// <returns>The address.</returns>
    public static MacAddress Parse(string s, IFormatProvider? provider = null) =>
        TryParse(s, provider, out MacAddress result) ? result : throw new FormatException($"'{s}' is not a MAC address.");

    /// <summary>Tries to parse <c>aa:bb:cc:dd:ee:ff</c> (or with dashes).</summary>
    /// <param name="s">The text.</param>
    /// <param name="provider">Ignored.</param>
    /// <param name="result">The address.</param>
    /// <returns>True on success.</returns>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out MacAddress result)
    {
        result = default;
        if (s is null || s.Length != 17)
        {
            return false;
        }

        ulong value = 0;
        for (int i = 0; i < Length; i++)
        {
            if (i > 0 && s[(i * 3) - 1] is not (':' or '-'))
            {
                return false;
            }

            if (!byte.TryParse(s.AsSpan(i * 3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out byte b))
            {
                return false;
            }

            value = (value << 8) | b;
        }

        result = new MacAddress(value);
        return true;
    }

    /// <summary>Formats as lower-case colon-separated hex (flannel's format).</summary>
    /// <returns>The text.</returns>
    public override string ToString() => ToString(null, null);

    /// <inheritdoc />
    public string ToString(string? format, IFormatProvider? formatProvider)
    {
        Span<char> chars = stackalloc char[17];
        TryFormat(chars, out _, default, null);
        return new string(chars);
    }

    /// <inheritdoc />
    public bool TryFormat(Span<char> destination, out int charsWritten, ReadOnlySpan<char> format, IFormatProvider? provider)
    {
        charsWritten = 0;
        if (destination.Length < 17)
        {
            return false;
        }

        const string hex = "0123456789abcdef";
        for (int i = 0; i < Length; i++)
        {
            byte b = (byte)(_value >> (8 * (Length - 1 - i)));
            if (i > 0)
            {
                destination[charsWritten++] = ':';
            }

            destination[charsWritten++] = hex[b >> 4];
            destination[charsWritten++] = hex[b & 0xF];
        }

        return true;
    }

    /// <inheritdoc />
    public bool Equals(MacAddress other) => _value == other._value;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is MacAddress other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => _value.GetHashCode();

    /// <summary>Equality.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when equal.</returns>
    public static bool operator ==(MacAddress left, MacAddress right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    /// <param name="left">Left.</param>
    /// <param name="right">Right.</param>
    /// <returns>True when different.</returns>
    public static bool operator !=(MacAddress left, MacAddress right) => !left.Equals(right);
}
