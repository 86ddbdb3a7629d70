using System.Text;

namespace Overlay.Vici;

/// <summary>
/// A VICI message: an ordered list of key-value pairs, named sections (each a message) and named lists. Build one
/// with the <c>Add</c> methods (they validate the protocol's limits: names up to 255 bytes, values up to 65,535
/// bytes of UTF-8) and read one with the <c>Get</c> methods. Keys are case-sensitive, as charon's. A message may
/// carry secrets (the <c>data</c> of <c>load-shared</c>): <see cref="ToString"/> shows names and sizes only.
/// </summary>
public sealed class ViciMessage
{
    /// <summary>The longest key, section or list name, in bytes.</summary>
    public const int MaxNameLength = byte.MaxValue;

    /// <summary>The longest value or list item, in bytes.</summary>
    public const int MaxValueLength = ushort.MaxValue;

    private readonly List<ViciEntry> _entries = [];

    /// <summary>The entries, in order.</summary>
    public IReadOnlyList<ViciEntry> Entries => _entries;

    /// <summary>The number of entries.</summary>
    public int Count => _entries.Count;

    /// <summary>Adds a key with a text value.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value (UTF-8 on the wire).</param>
    /// <returns>This message.</returns>
    /// <exception cref="ArgumentException">The key or the value is too long, or the key is empty.</exception>
    public ViciMessage Add(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return Add(key, (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(value));
    }

    /// <summary>Adds a key with a value of bytes.</summary>
    /// <param name="key">The key.</param>
    /// <param name="value">The value.</param>
    /// <returns>This message.</returns>
    /// <exception cref="ArgumentException">The key or the value is too long, or the key is empty.</exception>
    public ViciMessage Add(string key, ReadOnlyMemory<byte> value)
    {
        CheckName(key, nameof(key));
        CheckValue(value.Length, nameof(value));
        _entries.Add(ViciEntry.KeyValue(key, value));
        return this;
    }

    /// <summary>Adds a section.</summary>
    /// <param name="name">The section's name.</param>
    /// <param name="section">Its content.</param>
    /// <returns>This message.</returns>
    /// <exception cref="ArgumentException">The name is empty or too long, or the section is this message.</exception>
    public ViciMessage AddSection(string name, ViciMessage section)
    {
        CheckName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(section);
        if (ReferenceEquals(section, this))
        {
            throw new ArgumentException("A message cannot contain itself.", nameof(section));
        }

        _entries.Add(ViciEntry.SectionOf(name, section));
        return this;
    }

    /// <summary>Adds a section built by <paramref name="build"/>.</summary>
    /// <param name="name">The section's name.</param>
    /// <param name="build">Fills the new section.</param>
    /// <returns>This message.</returns>
    public ViciMessage AddSection(string name, Action<ViciMessage> build)
    {
        ArgumentNullException.ThrowIfNull(build);
        var section = new ViciMessage();
        build(section);
        return AddSection(name, section);
    }

    /// <summary>Adds a list of text items.</summary>
    /// <param name="name">The list's name.</param>
    /// <param name="items">The items (UTF-8 on the wire).</param>
    /// <returns>This message.</returns>
    /// <exception cref="ArgumentException">The name is empty or too long, or an item is too long.</exception>
    public ViciMessage AddList(string name, params IEnumerable<string> items)
    {
        CheckName(name, nameof(name));
        ArgumentNullException.ThrowIfNull(items);
        var list = new List<ReadOnlyMemory<byte>>();
        foreach (string item in items)
        {
            ArgumentNullException.ThrowIfNull(item, nameof(items));
            byte[] bytes = Encoding.UTF8.GetBytes(item);
            CheckValue(bytes.Length, nameof(items));
            list.Add(bytes);
        }

        _entries.Add(ViciEntry.ListOf(name, list));
        return this;
    }

    /// <summary>The text value of the first entry named <paramref name="key"/> that is a key-value pair.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The value, or null when there is none.</returns>
    public string? GetString(string key) =>
        Find(key, ViciEntryKind.KeyValue) is { } entry ? Encoding.UTF8.GetString(entry.Value.Span) : null;

    /// <summary>The first section named <paramref name="name"/>.</summary>
    /// <param name="name">The section's name.</param>
    /// <returns>The section, or null when there is none.</returns>
    public ViciMessage? GetSection(string name) => Find(name, ViciEntryKind.Section)?.Section;

    /// <summary>The items of the first list named <paramref name="name"/>, as text.</summary>
    /// <param name="name">The list's name.</param>
    /// <returns>The items, or null when there is no such list.</returns>
    public IReadOnlyList<string>? GetList(string name) =>
        Find(name, ViciEntryKind.List)?.Items!.Select(i => Encoding.UTF8.GetString(i.Span)).ToArray();

    /// <summary>The message's structure: names, sections and lists, with value sizes but never values.</summary>
    /// <returns>For example <c>{ success (3 bytes), errmsg (24 bytes) }</c>.</returns>
    public override string ToString()
    {
        var text = new StringBuilder();
        Describe(text);
        return text.ToString();
    }

    private void Describe(StringBuilder text)
    {
        text.Append('{');
        for (int i = 0; i < _entries.Count; i++)
        {
            ViciEntry e = _entries[i];
            text.Append(i == 0 ? " " : ", ").Append(e.Name);
            switch (e.Kind)
            {
                case ViciEntryKind.KeyValue:
                    text.Append(" (").Append(e.Value.Length).Append(" bytes)");
                    break;
                case ViciEntryKind.Section:
                    text.Append(' ');
                    e.Section!.Describe(text);
                    break;
                default:
                    text.Append(" [").Append(e.Items!.Count).Append(" items]");
                    break;
            }
        }

        text.Append(_entries.Count == 0 ? "}" : " }");
    }

    /// <summary>Appends a decoded entry as it came (the decoder checked its limits).</summary>
    internal void AddEntry(ViciEntry entry) => _entries.Add(entry);

    private ViciEntry? Find(string name, ViciEntryKind kind)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (ViciEntry entry in _entries)
        {
            if (entry.Kind == kind && string.Equals(entry.Name, name, StringComparison.Ordinal))
            {
                return entry;
            }
        }

        return null;
    }

    private static void CheckName(string name, string parameter)
    {
        ArgumentException.ThrowIfNullOrEmpty(name, parameter);
        if (Encoding.UTF8.GetByteCount(name) > MaxNameLength)
        {
            throw new ArgumentException($"A VICI name is at most {MaxNameLength} bytes of UTF-8; '{name[..Math.Min(name.Length, 40)]}…' is longer.", parameter);
        }
    }

    private static void CheckValue(int length, string parameter)
    {
        if (length > MaxValueLength)
        {
            throw new ArgumentException($"A VICI value is at most {MaxValueLength} bytes; this one has {length}.", parameter);
        }
    }
}
