using Microsoft.Extensions.Logging;

namespace Overlay.Testing;

/// <summary>One recorded log entry.</summary>
/// <param name="Category">The logger's category ("" when the <see cref="ListLogger"/> itself was the logger).</param>
/// <param name="Level">The level.</param>
/// <param name="EventId">The event id.</param>
/// <param name="Message">The formatted message.</param>
/// <param name="Exception">The exception, if any.</param>
public sealed record LogEntry(string Category, LogLevel Level, EventId EventId, string Message, Exception? Exception);

/// <summary>
/// Records every log entry (category, level, event id, formatted message, exception) for assertions. Use it
/// as an <see cref="ILogger"/>, as an <see cref="ILoggerFactory"/> or as an <see cref="ILoggerProvider"/> of a
/// real factory (<c>b.AddProvider(logs)</c>); the loggers it creates record into the same list, with their
/// category. Thread-safe.
/// </summary>
public sealed class ListLogger : ILogger, ILoggerFactory, ILoggerProvider
{
    private readonly Lock _lock = new();
    private readonly List<LogEntry> _entries = [];

    /// <summary>A snapshot of the entries so far, in order.</summary>
    public IReadOnlyList<LogEntry> Entries
    {
        get
        {
            lock (_lock)
            {
                return [.. _entries];
            }
        }
    }

    /// <summary>Everything written, messages and exceptions (with inner exceptions), as one text.</summary>
    public string AllText => string.Join("\n", Entries.Select(e => e.Message + " " + e.Exception));

    /// <inheritdoc />
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    /// <inheritdoc />
    public bool IsEnabled(LogLevel logLevel) => true;

    /// <inheritdoc />
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Add(string.Empty, logLevel, eventId, state, exception, formatter);

    /// <inheritdoc />
    public ILogger CreateLogger(string categoryName) => new CategoryLogger(this, categoryName);

    /// <inheritdoc />
    public void AddProvider(ILoggerProvider provider)
    {
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private void Add<TState>(string category, LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        var entry = new LogEntry(category, logLevel, eventId, formatter(state, exception), exception);
        lock (_lock)
        {
            _entries.Add(entry);
        }
    }

    private sealed class CategoryLogger(ListLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(category, logLevel, eventId, state, exception, formatter);
    }
}
