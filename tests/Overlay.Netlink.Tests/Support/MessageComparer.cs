namespace Overlay.Netlink.Tests.Support;

/// <summary>
/// Compares two netlink requests the way the golden tests need: same type, same flags, same fixed
/// family header, and the same attributes by type and value (nested ones expanded along the given
/// paths), order-insensitive, ignoring sequence number and port id.
/// </summary>
public static class MessageComparer
{
    /// <summary>A flattened request.</summary>
    public sealed record Flattened(ushort Type, ushort Flags, string FixedHeader, List<string> Attributes);

    /// <param name="message">One netlink message.</param>
    /// <param name="fixedHeaderLength">The family header length (e.g. 16 for ifinfomsg).</param>
    /// <param name="nestedPaths">Attribute paths ("18", "18/2", "18/2/1+16" = nested after a 16-byte header) to expand.</param>
    public static Flattened Flatten(ReadOnlySpan<byte> message, int fixedHeaderLength, params string[] nestedPaths)
    {
        var reader = new NetlinkMessageReader(message);
        Assert.True(reader.TryRead(out NetlinkMessage m));
        var attributes = new List<string>();
        string fixedHeader = Convert.ToHexString(m.GetFixedHeader(fixedHeaderLength));
        Walk(m.GetAttributes(fixedHeaderLength), "", nestedPaths, attributes);
        attributes.Sort(StringComparer.Ordinal);
        return new Flattened(m.Header.Type, (ushort)m.Header.Flags, fixedHeader, attributes);
    }

    private static void Walk(NetlinkAttributeReader reader, string prefix, string[] nestedPaths, List<string> into)
    {
        while (reader.TryRead(out NetlinkAttribute a))
        {
            string path = prefix + a.Type;
            string? nested = nestedPaths.FirstOrDefault(p => p == path || p.StartsWith(path + "+", StringComparison.Ordinal));
            if (nested is null)
            {
                into.Add(path + "=" + Convert.ToHexString(a.Value));
                continue;
            }

            int header = nested.Contains('+', StringComparison.Ordinal) ? int.Parse(nested[(nested.IndexOf('+', StringComparison.Ordinal) + 1)..], System.Globalization.CultureInfo.InvariantCulture) : 0;
            if (header > 0)
            {
                into.Add(path + "#header=" + Convert.ToHexString(a.Value[..header]));
            }

            Walk(new NetlinkAttributeReader(a.Value[header..]), path + "/", nestedPaths, into);
        }
    }

    /// <summary>
    /// Asserts that <paramref name="ours"/> equals <paramref name="captured"/>, except for attributes of
    /// the capture whose path is listed in <paramref name="ignoredCapturedPaths"/> (attributes
    /// iproute2 sends that the library deliberately does not).
    /// </summary>
    public static void AssertEquivalent(Flattened captured, Flattened ours, params string[] ignoredCapturedPaths)
    {
        Assert.Equal(captured.Type, ours.Type);
        Assert.Equal(captured.Flags, ours.Flags);
        Assert.Equal(captured.FixedHeader, ours.FixedHeader);
        var remaining = new List<string>(captured.Attributes);
        var missingInCapture = new List<string>();
        foreach (string attribute in ours.Attributes)
        {
            if (!remaining.Remove(attribute))
            {
                missingInCapture.Add(attribute);
            }
        }

        Assert.True(missingInCapture.Count == 0, "attributes we send that iproute2 did not: " + string.Join(", ", missingInCapture) + "\ncaptured: " + string.Join(", ", captured.Attributes));
        var unexpected = remaining.Where(a => !ignoredCapturedPaths.Any(p => a.StartsWith(p + "=", StringComparison.Ordinal))).ToList();
        Assert.True(unexpected.Count == 0, "attributes iproute2 sent that we did not: " + string.Join(", ", unexpected));
        Assert.NotEmpty(ours.Attributes.Concat([ours.FixedHeader]));
    }
}
