using System.Text;
using System.Text.Json;

namespace Overlay.Subnets.Internal;

/// <summary>
/// Raw-JSON handling the way Go's <c>encoding/json</c> does it for <c>json.RawMessage</c>: values
/// are re-compacted on output (insignificant white space removed, existing escapes kept) with
/// HTML-safe escaping of <c>&lt;</c>, <c>&gt;</c>, <c>&amp;</c>, U+2028 and U+2029 inside strings.
/// This is what makes stored lease values byte-identical to flanneld's.
/// </summary>
internal static class GoJson
{
    public static byte[] Compact(JsonElement element) => Compact(Encoding.UTF8.GetBytes(element.GetRawText()));

    public static byte[] Compact(ReadOnlySpan<byte> json)
    {
        var output = new List<byte>(json.Length);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            if (!inString)
            {
                if (b is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
                {
                    continue;
                }

                if (b == (byte)'"')
                {
                    inString = true;
                }

                output.Add(b);
                continue;
            }

            switch (b)
            {
                case (byte)'\\':
                    output.Add(b);
                    if (i + 1 < json.Length)
                    {
                        output.Add(json[++i]);
                    }

                    break;
                case (byte)'"':
                    inString = false;
                    output.Add(b);
                    break;
                case (byte)'<':
                    AddAscii(output, "\\u003c");
                    break;
                case (byte)'>':
                    AddAscii(output, "\\u003e");
                    break;
                case (byte)'&':
                    AddAscii(output, "\\u0026");
                    break;
                case 0xE2 when i + 2 < json.Length && json[i + 1] == 0x80 && (json[i + 2] == 0xA8 || json[i + 2] == 0xA9):
                    AddAscii(output, json[i + 2] == 0xA8 ? "\\u2028" : "\\u2029");
                    i += 2;
                    break;
                default:
                    output.Add(b);
                    break;
            }
        }

        return [.. output];
    }

    /// <summary>Compares two optional raw values by their compacted text.</summary>
    public static bool RawEquals(JsonElement? a, JsonElement? b)
    {
        if (a is null || b is null)
        {
            return a is null && b is null;
        }

        return Compact(a.Value).AsSpan().SequenceEqual(Compact(b.Value));
    }

    /// <summary>Parses compact bytes into a standalone element (no document to dispose).</summary>
    public static JsonElement ToElement(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        return JsonElement.ParseValue(ref reader);
    }

    /// <summary>Appends a JSON string literal encoded as Go's <c>json.Marshal</c> encodes it.</summary>
    public static void AppendString(List<byte> output, string value)
    {
        output.Add((byte)'"');
        Span<byte> utf8 = stackalloc byte[4];
        foreach (Rune rune in value.EnumerateRunes())
        {
            int c = rune.Value;
            switch (c)
            {
                case '"':
                    AddAscii(output, "\\\"");
                    break;
                case '\\':
                    AddAscii(output, "\\\\");
                    break;
                case '\n':
                    AddAscii(output, "\\n");
                    break;
                case '\r':
                    AddAscii(output, "\\r");
                    break;
                case '\t':
                    AddAscii(output, "\\t");
                    break;
                case '<' or '>' or '&' or 0x2028 or 0x2029:
                case < 0x20:
                    AddAscii(output, "\\u" + c.ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    break;
                default:
                    int n = rune.EncodeToUtf8(utf8);
                    for (int i = 0; i < n; i++)
                    {
                        output.Add(utf8[i]);
                    }

                    break;
            }
        }

        output.Add((byte)'"');
    }

    private static void AddAscii(List<byte> output, string text)
    {
        foreach (char c in text)
        {
            output.Add((byte)c);
        }
    }
}
