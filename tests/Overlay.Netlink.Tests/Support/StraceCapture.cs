using System.Globalization;

namespace Overlay.Netlink.Tests.Support;

/// <summary>
/// A raw strace capture of an iproute2 command (TestData/Captures/*.strace, written by
/// TestData/capture.sh): the "# command:" line and every buffer dumped by <c>-e write=all</c>
/// (sendmsg) or <c>-e read=all</c> (recvmsg), in order.
/// </summary>
public sealed class StraceCapture
{
    private StraceCapture(string name, string command, string setup, List<byte[]> buffers)
    {
        Name = name;
        Command = command;
        Setup = setup;
        Buffers = buffers;
    }

    public string Name { get; }

    public string Command { get; }

    public string Setup { get; }

    public IReadOnlyList<byte[]> Buffers { get; }

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "TestData", "Captures");

    public static StraceCapture Load(string name)
    {
        string[] lines = File.ReadAllLines(Path.Combine(Directory, name + ".strace"));
        string command = lines.First(l => l.StartsWith("# command: ", StringComparison.Ordinal))["# command: ".Length..];
        string setup = lines.First(l => l.StartsWith("# setup:", StringComparison.Ordinal))["# setup:".Length..].Trim();
        var buffers = new List<byte[]>();
        List<byte>? current = null;
        foreach (string line in lines)
        {
            if (line.StartsWith(" * ", StringComparison.Ordinal) && line.Contains("bytes in buffer", StringComparison.Ordinal))
            {
                current = [];
                buffers.Add([]);
                continue;
            }

            if (current is not null && line.StartsWith(" | ", StringComparison.Ordinal) && line.Length > 10)
            {
                string hex = line.Substring(10, Math.Min(49, line.Length - 10));
                foreach (string token in hex.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    current.Add(byte.Parse(token, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                }

                buffers[^1] = [.. current];
                continue;
            }

            current = null;
        }

        return new StraceCapture(name, command, setup, buffers);
    }

    /// <summary>The last captured buffer whose first message has this type.</summary>
    public byte[] LastMessageOfType(ushort type)
    {
        for (int i = Buffers.Count - 1; i >= 0; i--)
        {
            byte[] buffer = Buffers[i];
            if (buffer.Length >= 16 && BitConverter.ToUInt16(buffer, 4) == type)
            {
                return buffer;
            }
        }

        throw new InvalidOperationException($"Capture {Name} has no message of type {type}.");
    }
}
