-- Grade words HR can edit (core/grade_words.py): a word as people write it in the 等级 column, and the
-- grade of the company's scale it stands for. ``word_key`` is the lookup form (half-width, upper case, no
-- spaces), as the importer folds a cell before it looks it up. Seeded with the defaults of
-- pipelines/normalise.py GRADE_WORDS (a test keeps the two the same).
CREATE TABLE grade_words (
    word_key   TEXT PRIMARY KEY,
    word       TEXT NOT NULL,
    grade      TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT 'migration',
    updated_at TIMESTAMP NOT NULL DEFAULT current_timestamp
);

INSERT INTO grade_words (word_key, word, grade) VALUES
    ('S', 'S', 'S'),
    ('A', 'A', 'A'),
    ('B', 'B', 'B'),
    ('C', 'C', 'C'),
    ('D', 'D', 'D'),
    ('E', 'E', 'E'),
    ('A+', 'A+', 'A'),
    ('A-', 'A-', 'A'),
    ('B+', 'B+', 'B'),
    ('B-', 'B-', 'B'),
    ('C+', 'C+', 'C'),
    ('C-', 'C-', 'C'),
    ('优秀', '优秀', 'A'),
    ('卓越', '卓越', 'S'),
    ('良好', '良好', 'B'),
    ('合格', '合格', 'B'),
    ('称职', '称职', 'B'),
    ('达标', '达标', 'B'),
    ('基本合格', '基本合格', 'C'),
    ('基本称职', '基本称职', 'C'),
    ('待改进', '待改进', 'C'),
    ('需改进', '需改进', 'C'),
    ('不合格', '不合格', 'C'),
    ('不称职', '不称职', 'C'),
    ('不达标', '不达标', 'C'),
    ('甲', '甲', 'A'),
    ('乙', '乙', 'B'),
    ('丙', '丙', 'C'),
    ('丁', '丁', 'D'),
    ('甲级', '甲级', 'A'),
    ('乙级', '乙级', 'B'),
    ('丙级', '丙级', 'C'),
    ('丁级', '丁级', 'D'),
    ('甲等', '甲等', 'A'),
    ('乙等', '乙等', 'B'),
    ('丙等', '丙等', 'C'),
    ('丁等', '丁等', 'D'),
    ('EXCEEDS', 'Exceeds', 'A'),
    ('EXCEEDSEXPECTATIONS', 'Exceeds Expectations', 'A'),
    ('OUTSTANDING', 'Outstanding', 'S'),
    ('FULLYMEETS', 'Fully Meets', 'B'),
    ('MEETS', 'Meets', 'B'),
    ('MEETSEXPECTATIONS', 'Meets Expectations', 'B'),
    ('FULLYMEETSEXPECTATIONS', 'Fully Meets Expectations', 'B'),
    ('NEEDSIMPROVEMENT', 'Needs Improvement', 'C'),
    ('BELOWEXPECTATIONS', 'Below Expectations', 'C'),
    ('UNSATISFACTORY', 'Unsatisfactory', 'C'),
    ('PIP', 'PIP', 'C');

-- Rows an import took on a guess HR should check (matched by name, a department the roster gives
-- otherwise, a person filed as 历史人员): kept with the batch apart from its rejects.
CREATE TABLE import_warnings (
    batch_id TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    sheet    TEXT,
    "row"    INTEGER,
    "column" TEXT,
    value    TEXT,
    reason   TEXT NOT NULL,
    PRIMARY KEY (batch_id, seq)
);
